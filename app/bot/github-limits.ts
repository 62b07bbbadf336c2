/**
 * GitHub's size limits for what the bot writes, and how much of each the plan may use.
 *
 * - Comment body: at most 65,536 characters. GitHub's REST API answers a longer one with
 *   422 "Body is too long (maximum is 65536 characters)" (the `create an issue comment`
 *   endpoint's validation error, as GitHub returns it).
 * - Check run `output.summary` and `output.text`: at most 65,535 characters each, and at most
 *   50 annotations per request. GitHub's OpenAPI description, as shipped in
 *   @octokit/openapi-types 27.0.0 (types.d.ts, `checks/create` and `checks/update`:
 *   "**Maximum length**: 65535 characters", `@maxLength 65535`; "limits the number of
 *   annotations to a maximum of 50 per API request"); an annotation's `message` and
 *   `raw_details` "The maximum size is 64 KB", its `title` 255 characters.
 */
export const COMMENT_BODY_LIMIT = 65_536;
export const CHECK_RUN_SUMMARY_LIMIT = 65_535;
export const CHECK_RUN_TEXT_LIMIT = 65_535;
export const CHECK_RUN_ANNOTATIONS_PER_REQUEST = 50;
export const ANNOTATION_DETAILS_BYTES = 64 * 1024;

/** Room the bot keeps in a comment for its markers, the placement notice and the footer. */
const COMMENT_RESERVE = 4_000;
/** The plan comment without what the bot adds around it. */
export const PLAN_COMMENT_BUDGET = COMMENT_BODY_LIMIT - COMMENT_RESERVE;
/** The check run's `text` holds what the comment could not. */
export const PLAN_OVERFLOW_BUDGET = CHECK_RUN_TEXT_LIMIT - 500;
/**
 * Parts of the plan after the check run's text, each an annotation's `raw_details`: a
 * character budget under the 64 KB (bytes) limit, so a plan with some non-ASCII characters in
 * it (tags, descriptions) still fits. The whole plan of the largest example needs one.
 */
export const PLAN_ANNOTATION_BUDGET = 56_000;
export const PLAN_ANNOTATION_PAGES = 4;
