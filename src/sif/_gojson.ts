/**
 * JSON text as Go's `encoding/json` writes it (sorted map keys, `<>&` and
 * U+2028/U+2029 escaped, `\b`/`\f` short escapes), so files we put into an
 * image match the ones Apptainer writes. Package-private.
 * @module
 */

const SHORT: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

/** A JSON string literal as Go's encoder writes it. */
export function goString(text: string): string {
  let out = '"';
  for (const char of text.toWellFormed()) {
    const code = char.codePointAt(0)!;
    if (SHORT[char]) out += SHORT[char];
    else if (code < 0x20 || char === "<" || char === ">" || char === "&") {
      out += unicodeEscape(code);
    } else if (code === 0x2028 || code === 0x2029) out += unicodeEscape(code);
    else out += char;
  }
  return out + '"';
}

function unicodeEscape(code: number): string {
  return "\\u" + code.toString(16).padStart(4, "0");
}

/** Compares strings by UTF-8 bytes, as Go sorts map keys. */
function byBytes(a: string, b: string): number {
  const x = new TextEncoder().encode(a), y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** `json.MarshalIndent(map[string]string, "", "\t")`: `null` for undefined/null. */
export function goStringMapIndented(map: Record<string, string> | null | undefined): string {
  if (!map) return "null";
  const keys = Object.keys(map).sort(byBytes);
  if (keys.length === 0) return "{}";
  const lines = keys.map((key) => `\t${goString(key)}: ${goString(String(map[key]))}`);
  return `{\n${lines.join(",\n")}\n}`;
}

/** Compact `json.Marshal` of a JSON value, objects' keys sorted as Go sorts map keys. */
export function goCompact(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return goString(value);
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(goCompact).join(",")}]`;
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort(byBytes);
  return `{${keys.map((key) => `${goString(key)}:${goCompact(object[key])}`).join(",")}}`;
}
