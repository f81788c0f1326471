/**
 * What the pull progress says, as pure functions of the layers' state: the
 * terminal block (active layers, "N waiting, M done", a bar with rate and
 * ETA), capped to the terminal's height and width, and the plain lines of a
 * batch log (layer start and end, heartbeat). `progress.ts` does the I/O.
 * @module
 */
import type { LayerState } from "../pull/events.ts";
import { humanSize } from "../size.ts";

/** One layer as the progress display knows it. Sizes in bytes, times in ms. */
export interface LayerView {
  digest: string;
  state: LayerState;
  /** Bytes received so far (the whole size once cached or done). */
  bytes: number;
  /** The layer's compressed size (descriptor size). */
  total: number;
  /** When its download started (ms), if it downloaded. */
  started?: number;
}

/** Counts of layers and bytes, for the summary line and the heartbeat. */
export interface Summary {
  layers: number;
  waiting: number;
  active: number;
  /** Layers done, cached, or fully downloaded. */
  done: number;
  /** Bytes of the layers this run transfers (not those already in the cache). */
  toFetch: number;
  /** Of those, bytes received so far. */
  fetched: number;
}

/** Whether the layer needs nothing more from the network. */
export function isFinished(l: LayerView): boolean {
  return l.state === "done" || l.state === "cached" ||
    (l.state === "downloading" && l.bytes >= l.total);
}

/** Layer and byte counts of `layers`. */
export function summarize(layers: LayerView[]): Summary {
  const s: Summary = {
    layers: layers.length,
    waiting: 0,
    active: 0,
    done: 0,
    toFetch: 0,
    fetched: 0,
  };
  for (const l of layers) {
    if (isFinished(l)) s.done++;
    else if (l.state === "waiting") s.waiting++;
    else s.active++;
    if (l.state !== "cached") {
      s.toFetch += l.total;
      s.fetched += Math.min(l.bytes, l.total);
    }
  }
  return s;
}

/** The first 12 hex digits of a digest, as `images` and Docker show them. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}

/** A duration for people: `45s`, `3m05s`, `1h02m`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** `text` cut to at most `columns - 1` characters (the last column stays free: no wrap). */
export function fit(text: string, columns: number): string {
  const chars = [...text];
  const max = Math.max(1, columns - 1);
  return chars.length <= max ? text : chars.slice(0, max - 1).join("") + "…";
}

/** A bar of `width` cells, `fraction` (0..1) of them full: `[=====>    ]`. */
export function bar(fraction: number, width: number): string {
  const inner = Math.max(1, width - 2);
  const full = Math.min(inner, Math.max(0, Math.floor(fraction * inner)));
  const head = full < inner && full > 0 ? ">" : "";
  return `[${"=".repeat(full - (head ? 1 : 0))}${head}${" ".repeat(inner - full)}]`;
}

/** `12.3 MB / 45.0 MB, 5.1 MB/s, ETA 7s` (rate when known, ETA when it is not 0). Rate in bytes/s. */
export function transferText(s: Summary, rate: number | undefined): string {
  const parts = [`${humanSize(s.fetched)} / ${humanSize(s.toFetch)}`];
  if (rate !== undefined) {
    parts.push(`${humanSize(rate)}/s`);
    const left = s.toFetch - s.fetched;
    if (left > 0 && rate > 0) parts.push(`ETA ${duration((left / rate) * 1000)}`);
  }
  return parts.join(", ");
}

/** One layer's line on the terminal. */
function layerLine(l: LayerView, now: number): string {
  const id = shortDigest(l.digest);
  switch (l.state) {
    case "downloading": {
      const seconds = Math.max((now - (l.started ?? now)) / 1000, 0.001);
      const pct = l.total > 0 ? Math.floor((l.bytes / l.total) * 100) : 0;
      return `${id}: downloading ${humanSize(l.bytes)} / ${humanSize(l.total)} (${pct}%, ${
        humanSize(l.bytes / seconds)
      }/s)`;
    }
    case "extracting":
      return `${id}: extracting (${humanSize(l.total)})`;
    default:
      return `${id}: ${l.state}`;
  }
}

/** What the terminal block shows, besides the layers. */
export interface BlockInfo {
  now: number;
  /** When the pull started (ms). */
  started: number;
  /** Overall transfer rate in bytes/s, if known. */
  rate?: number;
  /** The step under way ("building the SIF image"), if any. */
  step?: string;
  columns: number;
  rows: number;
}

/** Most layer lines the block shows, whatever the terminal's height. */
export const MAX_LAYER_LINES = 8;

/**
 * The terminal block: the active layers (downloading or extracting), a line
 * `40 layers: 3 waiting, 2 active, 35 done`, and a bar with bytes, rate, ETA
 * and elapsed time. At most `rows - 1` lines (so redrawing never scrolls),
 * each at most `columns - 1` characters.
 */
export function renderBlock(layers: LayerView[], info: BlockInfo): string[] {
  if (layers.length === 0 || info.rows < 2) return [];
  const s = summarize(layers);
  const room = Math.min(MAX_LAYER_LINES, info.rows - 3);
  const active = layers.filter((l) => !isFinished(l) && l.state !== "waiting");
  const shown = room > 0 ? active.slice(0, room).map((l) => layerLine(l, info.now)) : [];
  const counts = `${s.layers} layer${s.layers === 1 ? "" : "s"}: ${s.waiting} waiting, ` +
    `${s.active} active, ${s.done} done` + (info.step ? ` | ${info.step}` : "");
  const tail = `${transferText(s, info.rate)}, ${duration(info.now - info.started)}`;
  const fraction = s.toFetch > 0 ? s.fetched / s.toFetch : 1;
  const barWidth = Math.max(0, Math.min(32, info.columns - 1 - tail.length - 1));
  const progress = barWidth >= 8 ? `${bar(fraction, barWidth)} ${tail}` : tail;
  const lines = [...shown, counts, progress].slice(-(info.rows - 1));
  return lines.map((l) => fit(l, info.columns));
}

/** The batch-log line when a layer starts downloading. */
export function startLine(l: LayerView): string {
  return `${shortDigest(l.digest)}: downloading ${humanSize(l.total)}`;
}

/** The batch-log line when a layer needs nothing more (downloaded, cached or done). */
export function endLine(l: LayerView, now: number): string {
  const id = shortDigest(l.digest);
  if (l.state === "cached") return `${id}: already in the cache (${humanSize(l.total)})`;
  if (l.started === undefined) return `${id}: done (${humanSize(l.total)})`;
  const ms = Math.max(now - l.started, 1);
  return `${id}: done (${humanSize(l.total)} in ${duration(ms)}, ${
    humanSize((l.total / ms) * 1000)
  }/s)`;
}

/**
 * The batch-log heartbeat: `progress: 12.3 MB / 45.0 MB, 5.1 MB/s, ETA 7s;
 * 3/40 layers done; 1m05s` (plus the step under way, if any).
 */
export function heartbeatLine(
  layers: LayerView[],
  info: Omit<BlockInfo, "columns" | "rows">,
): string {
  const s = summarize(layers);
  const step = info.step ? `${info.step}: ` : "";
  const transfer = s.fetched < s.toFetch ? `${transferText(s, info.rate)}; ` : "";
  return `progress: ${step}${transfer}${s.done}/${s.layers} layers done; ${
    duration(info.now - info.started)
  } so far`;
}
