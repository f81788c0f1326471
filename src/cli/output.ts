/**
 * Where the CLI writes: results to stdout, messages to stderr. The library
 * never prints; only `src/cli/` calls these.
 * @module
 */
const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let offset = 0;
  while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
}

/** Writes a result line to stdout. */
export function print(line: string): void {
  writeAll(Deno.stdout, line + "\n");
}

/** Writes a message line to stderr. */
export function printErr(line: string): void {
  writeAll(Deno.stderr, line + "\n");
}

/** Writes raw text to stderr (progress redraws, commander's own messages). */
export function writeErr(text: string): void {
  writeAll(Deno.stderr, text);
}
