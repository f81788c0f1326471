/**
 * Pull progress on terminals that are not ordinary screens, run on a real
 * pseudo-terminal (util-linux `script`):
 * - `TERM=dumb` (Emacs shell buffers, some batch ptys) cannot move the
 *   cursor: it gets the plain lines of a batch log, no escape sequences.
 *   Before, it got the redrawn block: `ESC[2A ESC[J ESC[2K...` as garbage.
 * - a pty whose size is 0x0 (nobody sized it, as some CI runners give):
 *   taken as 80x24. Before, every line was cut to "…", the header too, so
 *   the reference, platform and digest were never shown.
 */
import { assert, assertMatch } from "../_assert.ts";
import { cliHome, RUN_FLAGS } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";

let hasScript = false;
try {
  hasScript = new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" })
    .outputSync().success;
} catch { /* not installed */ }
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

function quote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Runs the CLI on a `columns`x`rows` pseudo-terminal with `term`; returns what it wrote. */
async function onTerminal(
  args: string[],
  env: Record<string, string>,
  size: { columns: number; rows: number; term: string },
): Promise<{ code: number; text: string }> {
  const cli = [Deno.execPath(), "run", "--quiet", ...RUN_FLAGS, MAIN, ...args].map(quote);
  const command = `stty cols ${size.columns} rows ${size.rows}; exec ${cli.join(" ")}`;
  const out = await new Deno.Command("script", {
    args: ["-qfec", command, "/dev/null"],
    env: { ...env, TERM: size.term, NO_COLOR: "1" },
    stdin: "null",
  }).output();
  return { code: out.code, text: new TextDecoder().decode(out.stdout) };
}

Deno.test({
  name: "pull progress on TERM=dumb prints plain lines, and a 0x0 terminal is taken as 80x24",
  ignore: registryBinary() === undefined || !hasScript,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const content = new Uint8Array(200_000);
    crypto.getRandomValues(content.subarray(0, 65536));
    const image = await buildImage({ layers: [{ entries: [{ name: "a.bin", content }] }] });
    await pushImage(reg, "test/odd", "v1", image);
    const ref = `${reg.host}/test/odd:v1`;
    const digest = image.layers[0].digest.slice(7, 19);

    const dumb = await onTerminal(["pull", ref], home.env, { columns: 80, rows: 24, term: "dumb" });
    assert(dumb.code === 0, dumb.text);
    assert(
      !dumb.text.includes("\x1b"),
      `escape sequences on TERM=dumb: ${JSON.stringify(dumb.text)}`,
    );
    assertMatch(dumb.text, new RegExp(`${digest}: downloading [\\d.]+ kB\\r?\\n`));
    assertMatch(dumb.text, new RegExp(`${digest}: done \\(`));

    const zero = await onTerminal(["pull", "--force", ref], home.env, {
      columns: 0,
      rows: 0,
      term: "xterm",
    });
    assert(zero.code === 0, zero.text);
    assertMatch(zero.text, new RegExp(`Pulling ${ref.replaceAll(".", "\\.")} \\(linux/amd64\\)`));
    assertMatch(zero.text, /1 layer: \d waiting, \d active, 1 done/);
  },
});
