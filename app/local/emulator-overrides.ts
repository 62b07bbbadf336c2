// The narrow workarounds for gaps of the emulator (moto 5.2.1), applied by tests and the demo
// only, never to what real AWS gets. Each names the gap it answers; see ../shared/EMULATOR.md.

import { DeleteBucketPolicyCommand, type S3Client } from "@aws-sdk/client-s3";

/**
 * Gap: moto evaluates bucket policies on object requests but ignores every condition operator
 * except StringEquals, so the state bucket's TLS-only policy (Deny s3:* when
 * `Bool aws:SecureTransport = false`) denies every object request, TLS or not: Terraform's S3
 * backend then fails with 403 on HeadObject. Call after ensureStateBackend; a later
 * ensureStateBackend reports the missing policy as a warning and leaves it missing.
 */
export async function dropTlsOnlyBucketPolicy(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
}
