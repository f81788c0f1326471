/**
 * Schemas (valibot) of the small JSON answers of a registry: the token
 * answer (distribution `token.md`: `token` or `access_token`, `expires_in`),
 * the error body (`{"errors": [{"code", "message", "detail"}]}`), and a
 * `tags/list` page. Unknown fields are kept.
 * @module
 */
import * as v from "valibot";
import { jsonObject } from "../document.ts";

/** A token server's answer. `expires_in` of another type counts as absent. */
export const TokenAnswerSchema = jsonObject({
  token: v.optional(v.string()),
  access_token: v.optional(v.string()),
  expires_in: v.fallback(v.optional(v.number()), undefined),
  issued_at: v.optional(v.unknown()),
});

/** One entry of an error body. */
export const ErrorEntrySchema = jsonObject({
  code: v.optional(v.unknown()),
  message: v.optional(v.unknown()),
  detail: v.optional(v.unknown()),
});

/** A registry error body: entries that are not objects are skipped by the reader. */
export const ErrorBodySchema = jsonObject({ errors: v.array(v.unknown()) });

/** A `tags/list` page; `tags` may be null (an empty repository). */
export const TagPageSchema = jsonObject({
  name: v.optional(v.unknown()),
  tags: v.nullish(v.array(v.unknown())),
});
