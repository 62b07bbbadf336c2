/**
 * The environment every Terraform process of ours runs with.
 *
 * The machine's own TF_CLI_CONFIG_FILE may point anywhere (here: at a file that does not exist),
 * so we always write and use our own CLI config: the AWS provider from a filesystem mirror when
 * one is present (air-gapped machines, the container image), a shared plugin cache so `init` of a
 * new working directory links the 700 MB provider instead of copying it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface TerraformEnvironmentOptions {
  /** Directory for the CLI config file and the plugin cache. */
  cacheDir?: string;
  /** Filesystem mirror holding registry.terraform.io/hashicorp/aws; `null` to use the registry. */
  providerMirror?: string | null;
  /** Terraform binary; defaults to `terraform` on PATH. */
  binary?: string;
}

export interface TerraformEnvironment {
  binary: string;
  env: Record<string, string>;
  cliConfigFile: string;
  pluginCacheDir: string;
}

const DEFAULT_MIRROR = "/opt/tf-plugins";

export function defaultCacheDir(): string {
  return (
    process.env.K3S_BOT_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "k3s-bot")
  );
}

function resolveMirror(option: string | null | undefined): string | null {
  if (option !== undefined) return option;
  const fromEnv = process.env.K3S_BOT_PROVIDER_MIRROR;
  if (fromEnv !== undefined) return fromEnv === "" ? null : fromEnv;
  return existsSync(DEFAULT_MIRROR) ? DEFAULT_MIRROR : null;
}

const environments = new Map<string, TerraformEnvironment>();

/**
 * Writes (idempotently) the CLI config and returns the environment for Terraform processes.
 * Computed once per process and settings: runners are created for every command, and rewriting
 * the file in place while another terraform process reads it could hand that one an empty file.
 */
export function terraformEnvironment(
  options: TerraformEnvironmentOptions = {},
): TerraformEnvironment {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const mirror = resolveMirror(options.providerMirror);
  const binary = options.binary ?? process.env.K3S_BOT_TERRAFORM ?? "terraform";
  const key = JSON.stringify([cacheDir, mirror, binary]);
  const known = environments.get(key);
  if (known && existsSync(known.cliConfigFile)) return known;

  const pluginCacheDir = join(cacheDir, "terraform-plugins");
  mkdirSync(pluginCacheDir, { recursive: true });
  const cliConfigFile = join(cacheDir, mirror ? "terraformrc-mirror" : "terraformrc");
  const installation = mirror
    ? [
        "provider_installation {",
        `  filesystem_mirror {`,
        `    path    = ${JSON.stringify(mirror)}`,
        `    include = ["registry.terraform.io/hashicorp/aws"]`,
        "  }",
        `  direct {`,
        `    exclude = ["registry.terraform.io/hashicorp/aws"]`,
        "  }",
        "}",
      ]
    : [];
  const content = [
    `plugin_cache_dir = ${JSON.stringify(pluginCacheDir)}`,
    ...installation,
    "",
  ].join("\n");
  writeAtomically(cliConfigFile, content);
  const environment: TerraformEnvironment = {
    binary,
    cliConfigFile,
    pluginCacheDir,
    env: {
      TF_CLI_CONFIG_FILE: cliConfigFile,
      TF_PLUGIN_CACHE_DIR: pluginCacheDir,
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
      CHECKPOINT_DISABLE: "1",
    },
  };
  environments.set(key, environment);
  return environment;
}

/** Replaces a file only when its content differs, by rename: readers never see it half written. */
function writeAtomically(path: string, content: string): void {
  try {
    if (readFileSync(path, "utf8") === content) return;
  } catch {
    // Not there yet.
  }
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}
