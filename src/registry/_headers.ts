/**
 * Pure parsing of response headers: `Link` pagination and Docker Hub's
 * `ratelimit-limit`/`ratelimit-remaining`.
 * @module
 */
import * as v from "valibot";
import { DocumentError, parseJsonText } from "../document.ts";
import { TagPageSchema } from "./_wire_schemas.ts";

/** Docker Hub pull-rate state from manifest answers. */
export interface RateLimit {
  limit: number;
  remaining: number;
  /** Window in seconds (`;w=21600`). */
  windowS?: number;
}

function countAndWindow(v: string | null): { n: number; w?: number } | undefined {
  const m = /^\s*(\d+)\s*(?:;\s*w\s*=\s*(\d+))?/.exec(v ?? "");
  if (!m) return undefined;
  return { n: Number(m[1]), ...(m[2] ? { w: Number(m[2]) } : {}) };
}

/** Reads `ratelimit-limit: 100;w=21600` and `ratelimit-remaining: 76;w=21600`. */
export function parseRateLimit(headers: Headers): RateLimit | undefined {
  const limit = countAndWindow(headers.get("ratelimit-limit"));
  const remaining = countAndWindow(headers.get("ratelimit-remaining"));
  if (!limit || !remaining) return undefined;
  const windowS = limit.w ?? remaining.w;
  return { limit: limit.n, remaining: remaining.n, ...(windowS ? { windowS } : {}) };
}

/**
 * The `rel="next"` target of a `Link` header, resolved against the request
 * URL (registries usually send a relative one); undefined when absent.
 */
export function nextLink(link: string | null, requestUrl: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /;\s*rel\s*=\s*"?next"?/i.test(m[2])) return new URL(m[1], requestUrl).href;
  }
  return undefined;
}

function parseOrUndefined(text: string): unknown {
  try {
    return parseJsonText(text, { kind: "tag-list", fix: "", maxBytes: 64 * 1024 * 1024 });
  } catch (e) {
    if (e instanceof DocumentError) return undefined;
    throw e;
  }
}

/** A tag as the distribution spec writes it: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/**
 * The tags of one `tags/list` page (`tags` may be null), or undefined when
 * not JSON. Entries that are not tags (not strings, or outside the tag
 * grammar: no reference could name them, and `sregistry tags` prints them)
 * are left out.
 */
export function parseTagPage(text: string): string[] | undefined {
  const page = v.safeParse(TagPageSchema, parseOrUndefined(text));
  if (!page.success) return undefined;
  return (page.output.tags ?? []).filter((t): t is string => typeof t === "string" && TAG.test(t));
}
