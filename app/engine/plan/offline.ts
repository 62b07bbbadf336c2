/**
 * Offline plans: what a first apply into an empty account would create, with no AWS account at
 * all (local state, placeholder credentials, no credential or account lookups). Useful to review
 * a definition before anyone has AWS access, and how the tests plan the real stack here.
 * The stack itself needs no AWS call to plan (no data sources), which is what makes this work.
 */
import { join } from "node:path";
import type { StackOptions } from "../../../infra/stack";

export function offlineStackOptions(workDir: string): StackOptions {
  return {
    backend: { kind: "local", path: join(workDir, "offline.tfstate") },
    providerOverrides: {
      access_key: "offline-plan",
      secret_key: "offline-plan",
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: "true",
      skip_region_validation: true,
    },
  };
}
