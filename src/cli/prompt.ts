/**
 * Reading a secret: from standard input when asked or when it is not a
 * terminal, else from a prompt without echo.
 * @module
 */
import { writeErr } from "./output.ts";

async function readLine(): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  const buf = new Uint8Array(1);
  for (;;) {
    const n = await Deno.stdin.read(buf);
    if (n === null) break;
    const ch = decoder.decode(buf.subarray(0, n));
    if (ch === "\n" || ch === "\r") break;
    if (ch === "\x03") throw new Error("interrupted");
    if (ch === "\x7f") text = text.slice(0, -1);
    else text += ch;
  }
  return text;
}

/** Reads one line; without echo on a terminal unless `echo`. */
export async function readSecret(
  prompt: string,
  options: { echo: boolean; stdin?: boolean },
): Promise<string> {
  if (options.stdin || !Deno.stdin.isTerminal()) {
    const text = await new Response(Deno.stdin.readable).text();
    return text.replace(/\r?\n$/, "");
  }
  writeErr(prompt);
  if (!options.echo) Deno.stdin.setRaw(true);
  try {
    return await readLine();
  } finally {
    if (!options.echo) {
      Deno.stdin.setRaw(false);
      writeErr("\n");
    }
  }
}
