/**
 * The oldest Terraform the stack and the engine work with: the S3 backend's `use_lockfile`
 * (infra/state-backend.ts) is generally available from Terraform 1.11. The stack declares it as
 * `required_version`, so Terraform itself refuses an older binary before it reads the rest of
 * the configuration, whichever front door runs it; the server also checks it at start-up
 * (app/preflight.ts).
 */
export const MINIMUM_TERRAFORM = "1.11.0";
