/**
 * Pure parsing of `WWW-Authenticate` challenges (RFC 7235 / RFC 6750 §3):
 * a scheme, then comma-separated `key=value` pairs, values quoted (with `\x`
 * escapes) or bare tokens, in any order.
 * @module
 */

/** One challenge: lower-cased scheme and lower-cased parameter names. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

function skipSpace(s: string, i: number): number {
  while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
  return i;
}

function readQuoted(s: string, i: number): [string, number] {
  let out = "";
  for (i++; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && i + 1 < s.length) out += s[++i];
    else if (c === '"') return [out, i + 1];
    else out += c;
  }
  return [out, i];
}

/** Reads `key=value` pairs from `i`; stops at a token not followed by `=` (a new scheme). */
function readParams(s: string, i: number, params: Record<string, string>): number {
  for (;;) {
    i = skipSpace(s, i);
    while (s[i] === ",") i = skipSpace(s, i + 1);
    const key = TOKEN.exec(s.slice(i))?.[0];
    if (!key) return i;
    const afterKey = skipSpace(s, i + key.length);
    if (s[afterKey] !== "=") return i;
    let j = skipSpace(s, afterKey + 1);
    let value: string;
    if (s[j] === '"') [value, j] = readQuoted(s, j);
    else {
      value = /^[^,\s]*/.exec(s.slice(j))![0];
      j += value.length;
    }
    params[key.toLowerCase()] = value;
    i = j;
  }
}

/**
 * Parses every challenge in a `WWW-Authenticate` value.
 * @example
 * ```ts
 * import { parseChallenges } from "./_challenge.ts";
 * const [c] = parseChallenges('Bearer realm="https://a/token",service="a"');
 * if (c.scheme !== "bearer" || c.params.realm !== "https://a/token") throw new Error();
 * ```
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  while (i < header.length) {
    i = skipSpace(header, i);
    while (header[i] === ",") i = skipSpace(header, i + 1);
    const scheme = TOKEN.exec(header.slice(i))?.[0];
    if (!scheme) break;
    const params: Record<string, string> = {};
    i = readParams(header, i + scheme.length, params);
    out.push({ scheme: scheme.toLowerCase(), params });
  }
  return out;
}

/** The Bearer challenge if there is one, else Basic, else undefined. */
export function pickChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const all = parseChallenges(header);
  return all.find((c) => c.scheme === "bearer") ?? all.find((c) => c.scheme === "basic");
}

/** Splits a space-separated scope list, dropping empties. */
export function splitScopes(scope: string | undefined): string[] {
  return (scope ?? "").split(" ").filter((s) => s !== "");
}
