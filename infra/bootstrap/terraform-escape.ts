/**
 * Terraform treats `${...}` and `%{...}` in any string as template syntax, and user data is a
 * string in the synthesized configuration. Literal sequences in our scripts (bash's `${var}`,
 * JCasC's `${VAR}`) must reach the instance unchanged, so they are escaped as `$${` and `%%{`;
 * cdktf tokens (`${TfToken[TOKEN.n]}`), which cdktf replaces with real references such as
 * `${aws_lb.api.dns_name}`, must stay as they are.
 */

/** A cdktf string token, as produced by `Token.asString()`. */
export const CDKTF_TOKEN = /\$\{TfToken\[[A-Za-z0-9_.-]+\]\}/g;

export function escapeTerraformTemplate(text: string): string {
  let out = "";
  let last = 0;
  for (const match of text.matchAll(CDKTF_TOKEN)) {
    out += escapeLiteral(text.slice(last, match.index));
    out += match[0];
    last = match.index + match[0].length;
  }
  return out + escapeLiteral(text.slice(last));
}

function escapeLiteral(text: string): string {
  // `$${` in the input would turn into `$$${`, which reads back differently: refuse it.
  if (text.includes("$${") || text.includes("%%{")) {
    throw new Error("user data text already contains a Terraform escape ($${ or %%{)");
  }
  // Replacement functions, not strings: in a replacement string "$$" means a single "$".
  return text.replaceAll("${", () => "$${").replaceAll("%{", () => "%%{");
}

/**
 * What Terraform does to an escaped string: tokens replaced by their values, escapes undone.
 * For tests, and to measure the size of the user data an instance actually receives.
 */
export function interpolateLikeTerraform(
  text: string,
  tokenValue: (token: string) => string,
): string {
  let out = "";
  let last = 0;
  for (const match of text.matchAll(CDKTF_TOKEN)) {
    out += unescapeLiteral(text.slice(last, match.index));
    out += tokenValue(match[0]);
    last = match.index + match[0].length;
  }
  return out + unescapeLiteral(text.slice(last));
}

function unescapeLiteral(text: string): string {
  // Any `${` or `%{` left after removing the escapes would be an interpolation Terraform rejects.
  const rest = text.replaceAll("$${", "").replaceAll("%%{", "");
  if (rest.includes("${") || rest.includes("%{")) {
    throw new Error("unescaped Terraform template sequence in user data");
  }
  return text.replaceAll("$${", () => "${").replaceAll("%%{", () => "%{");
}
