/**
 * Pull progress as users see it. On a terminal (tmux for the screen and its
 * scrollback, util-linux `script` for the raw bytes, both sized 100x20) the
 * block is redrawn in place and always fits the screen; through pipes (batch
 * jobs, CI) plain lines and heartbeats; with `--quiet` only the path.
 */
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { cliHome, RUN_FLAGS } from "../_cli.ts";
import { buildImage, type BuiltImage } from "../_images.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";
import { startSlowProxy } from "../_slow_proxy.ts";

function has(program: string, args: string[]): boolean {
  try {
    return new Deno.Command(program, { args, stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}
const hasScript = has("script", ["--version"]);
const hasTmux = has("tmux", ["-V"]);
const ignore = registryBinary() === undefined;
if (!hasTmux) {
  const note =
    "progress_test: tmux is missing (apt-get install tmux): the scrollback test is skipped\n";
  Deno.stderr.writeSync(new TextEncoder().encode(note));
}
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const ESC = "\x1b";
const COLUMNS = 100;
const ROWS = 20;

function randomBytes(n: number): Uint8Array {
  const content = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(content.subarray(i, i + 65536));
  return content;
}

/** Layers of incompressible bytes, `sizes` long, pushed as `repo:latest`. */
async function pushLayers(
  reg: { url: string },
  repo: string,
  sizes: number[],
  shared: Uint8Array[] = [],
): Promise<BuiltImage> {
  const contents = [...shared, ...sizes.map(randomBytes)];
  const layers = contents.map((content, n) => ({ entries: [{ name: `layer${n}.bin`, content }] }));
  const image = await buildImage({ layers });
  await pushImage(reg, repo, "latest", image);
  return image;
}

const short = (digest: string) => digest.slice("sha256:".length, "sha256:".length + 12);

function quote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** The shell command of a CLI run, as users type it. */
function cliCommand(args: string[]): string {
  return [Deno.execPath(), "run", "--quiet", ...RUN_FLAGS, MAIN, ...args].map(quote).join(" ");
}

/** Runs the CLI on a 100x20 pseudo-terminal (`script`); returns the raw bytes it wrote. */
async function runOnTerminal(args: string[], env: Record<string, string>) {
  const command = `stty cols ${COLUMNS} rows ${ROWS}; exec ${cliCommand(args)}`;
  const out = await new Deno.Command("script", {
    args: ["-qfec", command, "/dev/null"],
    env: { ...env, TERM: "xterm", NO_COLOR: "1" },
    stdin: "null",
  }).output();
  return { code: out.code, text: new TextDecoder().decode(out.stdout) };
}

/**
 * Runs the CLI in a 100x20 tmux window (through `script`, which keeps the raw
 * bytes); returns the screen with its whole scrollback, wrapped lines joined.
 */
async function runInTmux(args: string[], env: Record<string, string>, dir: string) {
  const socket = `sregistry-progress-${crypto.randomUUID()}`;
  await Deno.writeTextFile(
    `${dir}/tmux.conf`,
    "set -g remain-on-exit on\nset -g history-limit 100000\n",
  );
  const inner = `script -qfec ${quote(cliCommand(args))} ${quote(`${dir}/raw.log`)}; ` +
    `echo $? > ${quote(`${dir}/code`)}`;
  const tmux = (...a: string[]) =>
    new Deno.Command("tmux", {
      args: ["-L", socket, "-f", `${dir}/tmux.conf`, ...a],
      env: { ...env, TERM: "xterm", NO_COLOR: "1" },
      stdin: "null",
    }).output();
  try {
    const started = await tmux(
      "new-session",
      "-d",
      "-x",
      String(COLUMNS),
      "-y",
      String(ROWS),
      "-s",
      "t",
      inner,
    );
    assertEquals(started.code, 0, new TextDecoder().decode(started.stderr));
    let code: string | undefined;
    for (let i = 0; i < 1200 && code === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      code = await Deno.readTextFile(`${dir}/code`).catch(() => undefined);
    }
    const screen = await tmux("capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", "t");
    return {
      code: Number(code?.trim()),
      // Without tmux's own "Pane is dead" note and the empty rows below the output.
      lines: new TextDecoder().decode(screen.stdout).replace(/\nPane is dead.*\n*$/, "")
        .replace(/\n+$/, "").split("\n"),
      raw: await Deno.readTextFile(`${dir}/raw.log`),
    };
  } finally {
    await tmux("kill-server");
  }
}

/** The drawings on the raw stream: each erase-and-redraw's lines. */
function drawings(raw: string): string[][] {
  return raw.split(`${ESC}[J`).slice(1).map((part) =>
    part.split("\n").filter((l) => l.startsWith(`${ESC}[2K`)).map((l) =>
      l.slice(`${ESC}[2K`.length).replace(/\r$/, "")
    )
  );
}

Deno.test({
  name: "a 40-layer pull in a 100x20 terminal stays on the screen: short scrollback, no wide line",
  ignore: ignore || !hasTmux || !hasScript,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const image = await pushLayers(reg, "test/forty", Array(40).fill(16 * 1024));
    const run = await runInTmux(["pull", `${reg.host}/test/forty`], home.env, home.home);
    assertEquals(run.code, 0, run.lines.join("\n"));
    // Before: each redraw of a 41-line block pushed it into the scrollback (about 2,000 lines).
    assert(run.lines.length <= 40, `${run.lines.length} lines:\n${run.lines.join("\n")}`);
    // Every line but the SIF path (stdout) fits the width; tmux joined the wrapped ones.
    for (const line of run.lines.slice(0, -1)) {
      assert(line.length < COLUMNS, `wider than the terminal: ${JSON.stringify(line)}`);
    }
    assertMatch(run.lines.at(-1)!, /\.sif$/);
    // The redraws never move up more than the screen holds, nor draw wider lines.
    const ups = [...run.raw.matchAll(new RegExp(`${ESC}\\[(\\d+)A`, "g"))].map((m) => Number(m[1]));
    assert(ups.length >= 3, "redrawn in place");
    assert(Math.max(...ups) < ROWS, `moved up ${Math.max(...ups)} lines`);
    const draws = drawings(run.raw);
    for (const draw of draws) {
      assert(draw.length < ROWS, `a ${draw.length}-line block`);
      for (const line of draw) assert([...line].length < COLUMNS, JSON.stringify(line));
    }
    // The summary counts instead of listing: "N waiting, M done", and a bar with rate.
    const all = draws.flat().join("\n");
    assertMatch(all, /40 layers: \d+ waiting, \d+ active, \d+ done/);
    assertMatch(draws.at(-1)!.join("\n"), /40 layers: 0 waiting, 0 active, 40 done/);
    assertMatch(all, /\[[= >]+\] [\d.]+ \w?B \/ [\d.]+ \w?B/);
    assertEquals(image.layers.length, 40);
  },
});

Deno.test({
  name: "pull progress on a terminal counts layers already in the cache as done",
  ignore: ignore || !hasScript,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const base = randomBytes(256 * 1024);
    const first = await pushLayers(reg, "test/base", [], [base]);
    const second = await pushLayers(reg, "test/app", [512 * 1024], [base]);
    assertEquals(second.layers[0].digest, first.layers[0].digest);
    assertEquals((await home.run(["pull", `${reg.host}/test/base`])).code, 0);
    const out = await runOnTerminal(["pull", `${reg.host}/test/app`], home.env);
    assertEquals(out.code, 0, out.text);
    const counts = drawings(out.text).map((d) => d.find((l) => l.startsWith("2 layers:")) ?? "");
    // Before: "0/2 layers" while one was in the cache.
    assert(
      counts.some((c) => /2 layers: \d waiting, \d active, 1 done/.test(c)),
      JSON.stringify(counts),
    );
    assertMatch(counts.at(-1)!, /2 layers: 0 waiting, 0 active, 2 done/);
    assert(out.text.trimEnd().endsWith(".sif"), "the path is printed last");
  },
});

Deno.test({
  name: "pull progress without a terminal: a line when each layer starts and ends, no redraws",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const base = randomBytes(128 * 1024);
    await pushLayers(reg, "test/base", [], [base]);
    const image = await pushLayers(reg, "test/progress", [512 * 1024, 512 * 1024], [base]);
    assertEquals((await home.run(["pull", `${reg.host}/test/base`])).code, 0);
    const ref = `${reg.host}/test/progress`;
    const plain = await home.run(["pull", ref]);
    assertEquals(plain.code, 0, plain.stderr);
    assert(!plain.stderr.includes(ESC), JSON.stringify(plain.stderr));
    assert(!plain.stderr.includes("\r"), "no carriage-return redraws");
    const lines = plain.stderr.trimEnd().split("\n");
    const [cached, ...fetched] = image.layers.map((l) => short(l.digest));
    const cachedLines = lines.filter((l) => l.startsWith(`${cached}: `));
    assertEquals(cachedLines.length, 1, plain.stderr);
    assertMatch(cachedLines[0], /: already in the cache \(13\d\.\d kB\)$/);
    for (const digest of fetched) {
      const mine = lines.filter((l) => l.startsWith(`${digest}: `));
      assertEquals(mine.length, 2, plain.stderr);
      assertMatch(mine[0], /: downloading 52\d\.\d kB$/);
      assertMatch(mine[1], /: done \(52\d\.\d kB in \d+s, [\d.]+ \w?B\/s\)$/);
    }
    assertEquals(plain.stdout.split("\n").length, 2, "stdout holds the path only");

    const quiet = await home.run(["--quiet", "pull", "--force", ref]);
    assertEquals(quiet.code, 0, quiet.stderr);
    assertEquals(quiet.stderr, "");
    assertEquals(quiet.stdout, plain.stdout);
  },
});

Deno.test({
  name: "a slow download in a batch job prints heartbeat lines with bytes, rate and ETA",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const image = await pushLayers(reg, "test/slow", [1024 * 1024]);
    // 1 MiB at 64 KiB every 200 ms: about 3 s; a heartbeat every 0.5 s.
    await using proxy = startSlowProxy(reg.url, [image.layers[0].digest]);
    const out = await home.run(["pull", `${proxy.host}/test/slow`], {
      env: { SREGISTRY_PROGRESS_INTERVAL: "0.5" },
    });
    assertEquals(out.code, 0, out.stderr);
    const beats = out.stderr.split("\n").filter((l) => l.startsWith("progress: "));
    // Before: nothing between the layer's start and end lines.
    assert(beats.length >= 2, out.stderr);
    assert(
      beats.some((l) =>
        /^progress: .*[\d.]+ \w?B \/ 1\.0 MB, [\d.]+ \w?B\/s, ETA \d+s; 0\/1 layers done; \d+s so far$/
          .test(l)
      ),
      beats.join("\n"),
    );
    assert(!out.stderr.includes(ESC));
  },
});
