/**
 * Pull progress as users see it: on a terminal (a session recorded with
 * util-linux `script`, which gives the CLI a pseudo-terminal) the layer lines
 * are redrawn in place; through pipes (batch jobs, CI) plain lines; with
 * `--quiet` only the path.
 */
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { cliHome, RUN_FLAGS } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";

const hasScript = (() => {
  try {
    return new Deno.Command("script", { args: ["--version"] }).outputSync().success;
  } catch {
    return false;
  }
})();
const ignore = registryBinary() === undefined;
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const ESC = "\x1b";

/** Three layers of incompressible bytes, so downloads take a moment. */
async function pushLayers(reg: { url: string }, repo: string): Promise<string[]> {
  const layers = [1, 2, 3].map((n) => {
    const content = new Uint8Array(512 * 1024);
    for (let i = 0; i < content.length; i += 65536) {
      crypto.getRandomValues(content.subarray(i, i + 65536));
    }
    return { entries: [{ name: `layer${n}.bin`, content }] };
  });
  const image = await buildImage({ layers });
  await pushImage(reg, repo, "latest", image);
  return image.layers.map((l) => l.digest.slice("sha256:".length, "sha256:".length + 12));
}

function quote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

Deno.test({
  name: "pull progress on a terminal is redrawn in place (recorded with script)",
  ignore: ignore || !hasScript,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const short = await pushLayers(reg, "test/progress");
    const command = [
      Deno.execPath(),
      "run",
      "--quiet",
      ...RUN_FLAGS,
      MAIN,
      "pull",
      `${reg.host}/test/progress`,
    ]
      .map(quote).join(" ");
    const out = await new Deno.Command("script", {
      args: ["-qfec", command, "/dev/null"],
      env: { ...home.env, TERM: "xterm", NO_COLOR: "1" },
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, text);
    // Cursor up over the previous drawing, then erase to the end of the screen.
    const redraws = text.match(new RegExp(`${ESC}\\[(\\d+)A${ESC}\\[J`, "g")) ?? [];
    assert(redraws.length >= 3, `few redraws:\n${JSON.stringify(text)}`);
    // Each drawing is every layer plus the total line: cursor up that many lines.
    assert(
      redraws.some((r) => r === `${ESC}[${short.length + 1}A${ESC}[J`),
      JSON.stringify(redraws),
    );
    for (const digest of short) {
      assertMatch(text, new RegExp(`\\x1b\\[2K${digest}: (downloading|extracting|done)`));
      assertMatch(text, new RegExp(`${digest}: done`));
    }
    assertMatch(text, /total: [\d.]+ \w?B \/ [\d.]+ \w?B, 3\/3 layers/);
    assert(text.trimEnd().endsWith(".sif"), "the path is printed last");
  },
});

Deno.test({
  name: "pull progress without a terminal is plain lines; --quiet prints only the path",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const short = await pushLayers(reg, "test/progress");
    const ref = `${reg.host}/test/progress`;
    const plain = await home.run(["pull", ref]);
    assertEquals(plain.code, 0, plain.stderr);
    assert(!plain.stderr.includes(ESC), JSON.stringify(plain.stderr));
    assert(!plain.stderr.includes("\r"), "no carriage-return redraws");
    const lines = plain.stderr.trimEnd().split("\n");
    for (const digest of short) {
      const mine = lines.filter((l) => l.startsWith(`${digest}: `));
      assert(
        mine.length >= 2 && mine.length <= 5,
        `${digest}: ${mine.length} lines\n${plain.stderr}`,
      );
      assertMatch(mine.at(-1)!, /: done \(/);
    }
    // The layer part of the log: a few lines per layer, nothing redrawn.
    const layerPart = lines.slice(0, lines.indexOf("building the SIF image"));
    assert(
      layerPart.length <= 4 * short.length + 2,
      `too chatty for a batch log:\n${plain.stderr}`,
    );
    assertEquals(plain.stdout.split("\n").length, 2, "stdout holds the path only");

    const quiet = await home.run(["--quiet", "pull", "--force", ref]);
    assertEquals(quiet.code, 0, quiet.stderr);
    assertEquals(quiet.stderr, "");
    assertEquals(quiet.stdout, plain.stdout);
  },
});
