import { assert, assertEquals, assertMatch } from "../_assert.ts";
import {
  bar,
  fit,
  heartbeatLine,
  type LayerView,
  renderBlock,
} from "../../src/cli/progress_view.ts";
import { Progress } from "../../src/cli/progress.ts";

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

function layers(): LayerView[] {
  return Array.from({ length: 40 }, (_, i): LayerView => {
    const total = 1_000_000;
    if (i < 10) return { digest: digest(i), state: "cached", bytes: total, total };
    if (i < 20) return { digest: digest(i), state: "done", bytes: total, total, started: 0 };
    if (i < 32) {
      return { digest: digest(i), state: "downloading", bytes: 500_000, total, started: 0 };
    }
    return { digest: digest(i), state: "waiting", bytes: 0, total };
  });
}

Deno.test("renderBlock() fits any terminal: at most rows - 1 lines of at most columns - 1 characters", () => {
  for (const [columns, rows] of [[100, 20], [80, 24], [40, 10], [20, 5], [10, 3], [100, 2]]) {
    const lines = renderBlock(layers(), { now: 10_000, started: 0, rate: 1e6, columns, rows });
    assert(lines.length > 0 && lines.length < rows, `${columns}x${rows}: ${lines.length} lines`);
    for (const l of lines) assert([...l].length < columns, `${columns}x${rows}: ${l}`);
  }
  assertEquals(renderBlock(layers(), { now: 0, started: 0, columns: 100, rows: 1 }), []);
});

Deno.test("renderBlock() shows the active layers, the counts, and a bar with rate and ETA", () => {
  const lines = renderBlock(layers(), {
    now: 10_000,
    started: 0,
    rate: 2e6,
    columns: 100,
    rows: 20,
  });
  assertEquals(lines.length, 8 + 2, "eight layer lines at most, then the counts and the bar");
  assertEquals(lines[0], "000000000000: downloading 500.0 kB / 1.0 MB (50%, 50.0 kB/s)");
  // Cached layers count as done; the bytes to fetch leave them out.
  assertEquals(lines[8], "40 layers: 8 waiting, 12 active, 20 done");
  assertMatch(lines[9], /^\[=+> *\] 16\.0 MB \/ 30\.0 MB, 2\.0 MB\/s, ETA 7s, 10s$/);
});

Deno.test("heartbeatLine() gives bytes, rate, ETA, layers done and the time so far", () => {
  assertEquals(
    heartbeatLine(layers(), { now: 65_000, started: 0, rate: 2e6 }),
    "progress: 16.0 MB / 30.0 MB, 2.0 MB/s, ETA 7s; 20/40 layers done; 1m05s so far",
  );
  const all = layers().map((l) => ({ ...l, state: "done" as const, bytes: l.total }));
  assertEquals(
    heartbeatLine(all, { now: 5_000, started: 0, step: "building the SIF image" }),
    "progress: building the SIF image: 40/40 layers done; 5s so far",
  );
});

Deno.test("fit() and bar() keep to their width", () => {
  assertEquals(fit("abcdef", 5), "abc…");
  assertEquals(fit("abc", 5), "abc");
  assertEquals(bar(0.5, 12), "[====>     ]");
  assertEquals(bar(1, 6), "[====]");
  assertEquals(bar(0, 6), "[    ]");
});

Deno.test("Progress in a batch log: a heartbeat while the build goes on, none with --quiet", () => {
  for (const quiet of [false, true]) {
    let now = 0;
    const out: string[] = [];
    const progress = new Progress({
      tty: false,
      quiet,
      write: (t) => out.push(t),
      now: () => now,
      timers: false,
    });
    progress.handle({
      kind: "resolved",
      reference: "docker.io/library/app:1",
      digest: digest(1),
      layers: [{ digest: digest(2), size: 2_000_000 }],
    });
    progress.handle({
      kind: "layer",
      digest: digest(2),
      state: "downloading",
      bytes: 0,
      total: 2e6,
    });
    now = 1_000;
    progress.handle({
      kind: "layer",
      digest: digest(2),
      state: "downloading",
      bytes: 1e6,
      total: 2e6,
    });
    now = 3_000;
    progress.tick();
    now = 20_000;
    progress.tick();
    now = 21_000;
    progress.handle({
      kind: "layer",
      digest: digest(2),
      state: "downloading",
      bytes: 2e6,
      total: 2e6,
    });
    progress.handle({ kind: "step", text: "building the SIF image" });
    now = 41_000;
    progress.tick();
    progress.finish();
    assertEquals(
      out.join(""),
      quiet ? "" : [
        `Pulling docker.io/library/app:1 (single platform) ${digest(1)}`,
        "000000000000: downloading 2.0 MB",
        "progress: 1.0 MB / 2.0 MB, 333.3 kB/s, ETA 3s; 0/1 layers done; 3s so far",
        // Nothing came for the last 5 s: the rate says so, no ETA.
        "progress: 1.0 MB / 2.0 MB, 0 B/s; 0/1 layers done; 20s so far",
        "000000000000: done (2.0 MB in 21s, 95.2 kB/s)",
        "building the SIF image",
        "progress: building the SIF image: 1/1 layers done; 41s so far",
        "",
      ].join("\n"),
    );
  }
});
