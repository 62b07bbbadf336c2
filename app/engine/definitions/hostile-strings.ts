/**
 * Strings that must not pass, whatever the field: invisible and control characters, Terraform
 * template syntax, and the few values with a fixed alphabet (AWS tags, KMS key ids, the state
 * key). Checked on every key and value of a definition before the schema (load.ts).
 */
import { UNSEEN } from "./problems";
import type { Path } from "./source-map";

/** Terraform reads `${…}` and `%{…}` in any string of the synthesized JSON as a template. */
const TERRAFORM_TEMPLATE = /[$%]\{/;
/**
 * Control characters (tab and newline included: no field is multi-line), format characters
 * (direction overrides and isolates, zero-width characters, the BOM), lone surrogates: they hide
 * what a reviewer reads or change how it is read.
 */
const INVISIBLE = new RegExp(UNSEEN.source, "u");
/** AWS tag keys and values: letters, digits, spaces and `_ . : / = + - @` (any language). */
const AWS_TAG_TEXT = /^[\p{L}\p{N}\p{Zs}_.:/=+\-@]*$/u;
/** A KMS key id, multi-Region key id, alias, or key/alias ARN. */
const KMS_KEY =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[A-Za-z0-9/_-]{1,250}|arn:aws(?:-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:(?:key\/(?:[0-9a-f-]{36}|mrk-[0-9a-f]{32})|alias\/[A-Za-z0-9/_-]{1,250}))$/;

export function hostileStringMessage(path: Path, text: string, isKey: boolean): string | undefined {
  const what = isKey ? "key" : "value";
  if (isKey && text === "__proto__") return "`__proto__` is not allowed as a key";
  const invisible = INVISIBLE.exec(text);
  if (invisible) {
    return `the ${what} contains an invisible or control character (${codePoint(invisible[0])}); write plain text`;
  }
  if (TERRAFORM_TEMPLATE.test(text)) {
    return `the ${what} contains \`\${\` or \`%{\`, which Terraform would evaluate as an expression; definitions hold plain values only`;
  }
  const [top, second] = path;
  if (top === "tags" && path.length === 2 && !AWS_TAG_TEXT.test(text)) {
    return `tag ${what}s may use letters, digits, spaces and _ . : / = + - @ only (AWS tag rules)`;
  }
  if (isKey) return undefined;
  if (top === "state" && second === "kmsKeyId" && path.length === 2 && !KMS_KEY.test(text)) {
    return "expected a KMS key id, alias/<name>, or a key or alias ARN";
  }
  if (top === "state" && second === "key" && path.length === 2) {
    const segments = text.split("/");
    if (segments.some((segment) => segment === "" || segment === "." || segment === "..")) {
      return "the state key must be a relative S3 key: no leading /, no //, no . or .. segments";
    }
  }
  return undefined;
}

function codePoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}
