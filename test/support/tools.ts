/**
 * Tools the tests run for real. A missing tool fails the test with the command that installs it:
 * a test never skips silently.
 */
import { execFileSync } from "node:child_process";

function has(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function requireTerraform(): void {
  const binary = process.env.K3S_BOT_TERRAFORM ?? "terraform";
  if (!has(binary, ["version"])) {
    throw new Error(
      `Terraform is needed for this test but \`${binary} version\` failed. Install Terraform 1.11 (https://developer.hashicorp.com/terraform/install) or set K3S_BOT_TERRAFORM to its path.`,
    );
  }
}
