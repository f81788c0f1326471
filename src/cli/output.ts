/**
 * Where the CLI writes: results to stdout, messages to stderr. The library
 * never prints; only `src/cli/` calls these.
 *
 * A reader that goes away (`sregistry images | head -1`, `2>&1 | grep -q`,
 * a log collector that died) closes the pipe: the write fails with EPIPE.
 * That is the reader's choice, not a failure of the command, so from then
 * on what would go to that stream is dropped and the command carries on
 * (a pull still builds and records its image), exiting as it would have.
 * @module
 */
const encoder = new TextEncoder();

/** Streams whose reader has gone away (EPIPE): writes to them are dropped. */
const closed = new Set<{ writeSync(p: Uint8Array): number }>();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  if (closed.has(file)) return;
  const bytes = encoder.encode(text);
  let offset = 0;
  try {
    while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
  } catch (e) {
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
    closed.add(file);
  }
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
