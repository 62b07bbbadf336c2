/**
 * AWS errors a CLI user can fix, said in words that name the fix. The SDK's own message for
 * missing credentials ("Could not load credentials from any providers") names neither what it
 * looked for nor how to provide it.
 */

/**
 * The credential providers' error: `CredentialsProviderError` (@aws-sdk/credential-provider-node,
 * thrown when every provider of the default chain came up empty).
 */
export function isMissingCredentials(error: unknown): boolean {
  return error instanceof Error && error.name === "CredentialsProviderError";
}

export function missingCredentialsMessage(what: string): string {
  return [
    `no AWS credentials found to ${what}. The AWS SDK looked, in order, for:`,
    "  - AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys) in the environment",
    "  - a profile: AWS_PROFILE=<name>, from ~/.aws/credentials or ~/.aws/config (default profile without it)",
    "  - IAM Identity Center (SSO): `aws configure sso` once, then `aws sso login --profile <name>` and AWS_PROFILE=<name>",
    "  - a web identity token (AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE), or the instance/container role when run on AWS",
    "Provide one of them (check with `aws sts get-caller-identity`) and run the command again.",
  ].join("\n");
}
