/**
 * Progress of a pull, on stderr. On a terminal: a block redrawn in place that
 * always fits the screen (the active layers, "N waiting, M done", a bar with
 * rate and ETA; see `progress_view.ts`). Without a terminal (batch jobs, CI):
 * plain lines, one when each layer starts and one when it ends, and a
 * heartbeat line every `SREGISTRY_PROGRESS_INTERVAL` seconds (default 20)
 * while a transfer or a build goes on. With `--quiet`: nothing. A terminal
 * with `TERM=dumb` (Emacs shell buffers, some batch ptys) cannot move the
 * cursor, so it gets the plain lines too; a terminal that reports its size
 * as 0x0 (a pty nobody sized, as some CI runners give) is taken as 80x24.
 * @module
 */
import type { PullEvent } from "../pull/events.ts";
import { writeErr } from "./output.ts";
import {
  endLine,
  fit,
  heartbeatLine,
  isFinished,
  type LayerView,
  renderBlock,
  startLine,
  summarize,
} from "./progress_view.ts";

/** Seconds between heartbeat lines in a batch log, unless SREGISTRY_PROGRESS_INTERVAL says. */
export const HEARTBEAT_S = 20;
/** How often the terminal block is refreshed when nothing happens (ms). */
const TTY_TICK_MS = 1000;
/** The longest interval a timer takes (2^31 - 1 ms, about 24 days): past it, it fires at once. */
const MAX_TIMER_S = Math.floor((2 ** 31 - 1) / 1000);
/** The window over which the transfer rate is measured (ms). */
const RATE_WINDOW_MS = 5000;

/** Options of {@linkcode Progress}. */
export interface ProgressOptions {
  /** Whether stderr is a terminal (redraw in place) or a pipe/file (plain lines). */
  tty: boolean;
  quiet?: boolean;
  /** Show `debug` events (`--debug`). */
  debug?: boolean;
  write?: (text: string) => void;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
  /** The terminal's size (default `Deno.consoleSize()`, else 80x24). */
  size?: () => { columns: number; rows: number };
  /** Heartbeat interval in ms for plain lines (default 20 s). */
  heartbeatMs?: number;
  /** Run the timers (heartbeat, refresh); off for tests that call `tick()`. */
  timers?: boolean;
}

interface LayerLine extends LayerView {
  /** Batch log: whether its start / end line was printed. */
  said: { start: boolean; end: boolean };
}

/** Renders pull events to stderr; `using` stops its timer. */
export class Progress implements Disposable {
  readonly #tty: boolean;
  readonly #quiet: boolean;
  readonly #debug: boolean;
  readonly #write: (text: string) => void;
  readonly #now: () => number;
  readonly #size: () => { columns: number; rows: number };
  readonly #heartbeatMs: number;
  readonly #timers: boolean;
  #layers: LayerLine[] = [];
  #drawn = 0;
  #lastDraw = 0;
  #started: number;
  #step?: string;
  #samples: { at: number; bytes: number }[] = [];
  #timer?: ReturnType<typeof setInterval>;

  constructor(options: ProgressOptions) {
    this.#tty = options.tty;
    this.#quiet = options.quiet ?? false;
    this.#debug = options.debug ?? false;
    this.#write = options.write ?? writeErr;
    this.#now = options.now ?? Date.now;
    this.#size = options.size ?? terminalSize;
    this.#heartbeatMs = options.heartbeatMs ?? HEARTBEAT_S * 1000;
    this.#timers = options.timers ?? true;
    this.#started = this.#now();
  }

  /**
   * The progress for the CLI's stderr: a terminal (unless `TERM=dumb`) or
   * not, the heartbeat interval from `SREGISTRY_PROGRESS_INTERVAL` (seconds,
   * > 0, taken between 1 s and 24 days; default 20).
   */
  static forStderr(
    env: Record<string, string | undefined>,
    quiet?: boolean,
    debug?: boolean,
  ): Progress {
    // Below 1 s the log floods; past 2^31 ms a timer fires at once, so floods too.
    const seconds = Number(env.SREGISTRY_PROGRESS_INTERVAL);
    const heartbeatMs = Number.isFinite(seconds) && seconds > 0
      ? Math.min(Math.max(seconds, 1), MAX_TIMER_S) * 1000
      : undefined;
    const tty = Deno.stderr.isTerminal() && env.TERM !== "dumb";
    return new Progress({ tty, quiet, debug, heartbeatMs });
  }

  /** Handles one event. */
  readonly handle = (event: PullEvent): void => {
    if (this.#quiet) return;
    switch (event.kind) {
      case "resolved":
        this.#layers = event.layers.map((l) => ({
          digest: l.digest,
          state: "waiting",
          bytes: 0,
          total: l.size,
          said: { start: false, end: false },
        }));
        this.#start();
        return this.#header(
          `Pulling ${event.reference} (${event.platform ?? "single platform"})`,
          event.digest,
        );
      case "layer":
        return this.#layer(event);
      case "step":
        this.#step = event.text;
        return this.#line(event.text);
      case "warning":
        return this.#line(`Warning: ${event.text}`);
      case "output":
        return this.#line(event.text.replace(/\n$/, ""));
      case "debug":
        if (this.#debug) this.#line(`Debug: ${event.text}`);
        return;
    }
  };

  #layer(event: Extract<PullEvent, { kind: "layer" }>): void {
    const line = this.#layers.find((l) => l.digest === event.digest);
    if (!line) return;
    const now = this.#now();
    const changed = line.state !== event.state;
    if (changed && event.state === "downloading") line.started ??= now;
    line.state = event.state;
    if (event.bytes !== undefined) line.bytes = event.bytes;
    if (event.state === "done" || event.state === "cached") line.bytes = line.total;
    this.#sample(now);
    if (this.#tty) {
      if (changed || now - this.#lastDraw > 100) this.#redraw();
      return;
    }
    if (line.state === "downloading" && !line.said.start) {
      line.said.start = true;
      this.#write(startLine(line) + "\n");
    }
    if (isFinished(line) && !line.said.end) {
      line.said.end = true;
      this.#write(endLine(line, now) + "\n");
    }
  }

  /** Remembers the bytes fetched now, for the rate over the last few seconds. */
  #sample(now: number): void {
    this.#samples.push({ at: now, bytes: summarize(this.#layers).fetched });
    // Keep one sample older than the window: the rate's starting point.
    while (this.#samples.length > 2 && now - this.#samples[1].at >= RATE_WINDOW_MS) {
      this.#samples.shift();
    }
  }

  /**
   * Bytes per second over the last few seconds up to `now` (0 when nothing
   * came: a stalled transfer); undefined until the transfer has run 200 ms.
   */
  #rate(now: number): number | undefined {
    const first = this.#samples[0];
    if (!first) return undefined;
    const from = Math.max(first.at, now - RATE_WINDOW_MS);
    if (now - from < 200) return undefined;
    const before = this.#samples.findLast((s) => s.at <= from) ?? first;
    const bytes = summarize(this.#layers).fetched - before.bytes;
    return Math.max(0, bytes) / ((now - from) / 1000);
  }

  #line(text: string): void {
    if (!this.#tty) return this.#write(text + "\n");
    this.#clear();
    this.#write(text + "\n");
    this.#redraw();
  }

  /** `Pulling REF (platform) DIGEST`; on a narrow terminal the digest goes on a line of its own. */
  #header(text: string, digest: string): void {
    const columns = this.#size().columns;
    const whole = `${text} ${digest}`;
    if (!this.#tty || whole.length < columns) return this.#line(whole);
    this.#line(`${fit(text, columns)}\n${fit(`  ${digest}`, columns)}`);
  }

  #clear(): void {
    if (this.#drawn > 0) this.#write(`\x1b[${this.#drawn}A\x1b[J`);
    this.#drawn = 0;
  }

  #redraw(): void {
    const now = this.#now();
    const lines = renderBlock(this.#layers, {
      now,
      started: this.#started,
      rate: this.#rate(now),
      step: this.#step,
      ...this.#size(),
    });
    this.#clear();
    this.#write(lines.map((l) => `\x1b[2K${l}\n`).join(""));
    this.#drawn = lines.length;
    this.#lastDraw = now;
  }

  /** Starts the heartbeat (plain lines) or the refresh (terminal), once. */
  #start(): void {
    if (!this.#timers || this.#timer !== undefined) return;
    const timer = setInterval(() => this.tick(), this.#tty ? TTY_TICK_MS : this.#heartbeatMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /**
   * What the timer does: on a terminal, refresh the block (elapsed time, rate);
   * in a batch log, a heartbeat line while bytes are still coming or a step
   * (the build) goes on.
   */
  tick(): void {
    if (this.#quiet || this.#layers.length === 0) return;
    const now = this.#now();
    if (this.#tty) {
      if (now - this.#lastDraw >= TTY_TICK_MS / 2) this.#redraw();
      return;
    }
    this.#write(
      heartbeatLine(this.#layers, {
        now,
        started: this.#started,
        rate: this.#rate(now),
        step: this.#step,
      }) + "\n",
    );
  }

  /** Stops the timer and leaves the last drawing on screen. */
  finish(): void {
    this.#stop();
    if (this.#tty && !this.#quiet && this.#layers.length > 0) this.#redraw();
    this.#drawn = 0;
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Stops the timer (the pull failed or finished). */
  [Symbol.dispose](): void {
    this.#stop();
  }
}

/** The terminal's size, or 80x24 when stderr is not a terminal or its size is unknown (0x0). */
function terminalSize(): { columns: number; rows: number } {
  try {
    const size = Deno.consoleSize();
    if (size.columns > 0 && size.rows > 0) return size;
  } catch { /* not a terminal */ }
  return { columns: 80, rows: 24 };
}
