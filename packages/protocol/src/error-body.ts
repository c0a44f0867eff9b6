/**
 * The body of every error answer: `{ error: { code, message, issues?,
 * moreIssues? } }`, or `{ error: "..." }` on the Open Inference Protocol.
 */
import { z } from 'zod';

/**
 * The most problems an error body lists: a body wrong everywhere (28,800
 * strings where numbers belong) still gets a short answer, the rest counted.
 */
export const MAX_LISTED_ISSUES = 20;

export const errorBodySchema = z.object({
  error: z.object({
    /** A stable machine code: `INPUT_INVALID`, `QUEUE_FULL`, ... */
    code: z.string(),
    message: z.string(),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .max(MAX_LISTED_ISSUES)
      .optional()
      .describe(`Each bad field by path: the first ${MAX_LISTED_ISSUES} problems found (the rest are counted in moreIssues)`),
    moreIssues: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(`How many more problems were found than issues lists; present only when there are more than ${MAX_LISTED_ISSUES}`),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
/** One bad field of a request, by path (`body.input.data.3`). */
export type ErrorIssue = NonNullable<ErrorBody['error']['issues']>[number];

/** The Open Inference Protocol's error: a bare message. */
export const bareErrorBodySchema = z.object({ error: z.string() });
export type BareErrorBody = z.infer<typeof bareErrorBodySchema>;
