/**
 * Progress of a pull. On a terminal: one line per layer (bytes, rate, state)
 * plus an overall line, redrawn in place. Without a terminal (batch jobs, CI):
 * a few plain lines per layer. With `--quiet`: nothing.
 * @module
 */
import type { LayerState, PullEvent } from "../pull/events.ts";
import { humanSize } from "../size.ts";
import { writeErr } from "./output.ts";

interface LayerLine {
  digest: string;
  state: LayerState;
  bytes: number;
  total: number;
  started: number;
}

/** Renders pull events to stderr. */
export class Progress {
  readonly #tty: boolean;
  readonly #quiet: boolean;
  readonly #debug: boolean;
  readonly #write: (text: string) => void;
  readonly #now: () => number;
  #layers: LayerLine[] = [];
  #drawn = 0;
  #lastDraw = 0;
  #started: number;

  constructor(options: {
    tty: boolean;
    quiet?: boolean;
    /** Show `debug` events (`--debug`). */
    debug?: boolean;
    write?: (text: string) => void;
    now?: () => number;
  }) {
    this.#tty = options.tty;
    this.#quiet = options.quiet ?? false;
    this.#debug = options.debug ?? false;
    this.#write = options.write ?? writeErr;
    this.#now = options.now ?? Date.now;
    this.#started = this.#now();
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
          started: this.#now(),
        }));
        this.#line(
          `Pulling ${event.reference} (${event.platform ?? "single platform"}) ${event.digest}`,
        );
        return;
      case "layer":
        return this.#layer(event);
      case "step":
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
    const changed = line.state !== event.state;
    if (changed && event.state === "downloading") line.started = this.#now();
    line.state = event.state;
    if (event.bytes !== undefined) line.bytes = event.bytes;
    if (event.state === "done" || event.state === "cached") line.bytes = line.total;
    if (this.#tty) {
      const now = this.#now();
      if (changed || now - this.#lastDraw > 100) this.#redraw();
    } else if (changed && event.state !== "waiting") {
      this.#write(`${short(line.digest)}: ${describe(line, this.#now())}\n`);
    }
  }

  #line(text: string): void {
    if (this.#tty) this.#clear();
    this.#write(text + "\n");
    this.#drawn = 0;
    if (this.#tty) this.#redraw();
  }

  #clear(): void {
    if (this.#drawn > 0) this.#write(`\x1b[${this.#drawn}A\x1b[J`);
    this.#drawn = 0;
  }

  #redraw(): void {
    if (this.#layers.length === 0) return;
    this.#clear();
    const now = this.#now();
    const lines = this.#layers.map((l) => `${short(l.digest)}: ${describe(l, now)}`);
    const done = this.#layers.reduce((n, l) => n + l.bytes, 0);
    const total = this.#layers.reduce((n, l) => n + l.total, 0);
    const finished = this.#layers.filter((l) => l.state === "done").length;
    lines.push(
      `total: ${humanSize(done)} / ${
        humanSize(total)
      }, ${finished}/${this.#layers.length} layers, ${((now - this.#started) / 1000).toFixed(1)}s`,
    );
    this.#write(lines.map((l) => `\x1b[2K${l}\n`).join(""));
    this.#drawn = lines.length;
    this.#lastDraw = now;
  }

  /** Leaves the last drawing on screen. */
  finish(): void {
    if (this.#tty && !this.#quiet) this.#redraw();
    this.#drawn = 0;
  }
}

function short(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}

function describe(line: LayerLine, now: number): string {
  switch (line.state) {
    case "downloading": {
      const seconds = Math.max((now - line.started) / 1000, 0.001);
      return `downloading ${humanSize(line.bytes)} / ${humanSize(line.total)} (${
        humanSize(line.bytes / seconds)
      }/s)`;
    }
    case "cached":
      return `already in the cache (${humanSize(line.total)})`;
    case "extracting":
      return `extracting (${humanSize(line.total)})`;
    case "done":
      return `done (${humanSize(line.total)})`;
    default:
      return "waiting";
  }
}
