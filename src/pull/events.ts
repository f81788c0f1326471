/**
 * What a pull reports while it works. The library never prints; the CLI turns
 * these events into progress lines (`src/cli/progress.ts`).
 * @module
 */

/** States a layer goes through. */
export type LayerState = "waiting" | "downloading" | "cached" | "extracting" | "done";

/** One progress event. */
export type PullEvent =
  | {
    kind: "resolved";
    reference: string;
    digest: string;
    platform?: string;
    layers: { digest: string; size: number }[];
  }
  | { kind: "layer"; digest: string; state: LayerState; bytes?: number; total?: number }
  | { kind: "step"; text: string }
  | { kind: "warning"; text: string }
  | { kind: "output"; text: string }
  /** Shown only with `--debug`. */
  | { kind: "debug"; text: string };

/** A callback receiving pull events. */
export type PullListener = (event: PullEvent) => void;
