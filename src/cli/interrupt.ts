/**
 * Ctrl-C (SIGINT) and SIGTERM (a batch system ending the job) during a pull:
 * instead of dying in silence, the pull keeps each partial layer download in
 * the blob cache for the next pull to continue with `Range`, removes its work
 * folders, partial image and the sandbox folder it filled, releases its pins
 * on cache blobs, says what was kept, and exits 130 (SIGINT) or
 * 143 (SIGTERM), as a shell reports a process killed by that signal.
 * @module
 */
import { removeTemporaryNow } from "../store/work_dirs.ts";
import { humanSize } from "../size.ts";
import { keepPartialDownloads } from "../store/blob_cache.ts";
import { releasePinsNow } from "../store/blob_pins.ts";
import { SIGNAL_EXIT_CODES } from "./exit.ts";
import { printErr } from "./output.ts";

const SIGNALS = SIGNAL_EXIT_CODES;

/** What to tell the user: what stopped and what was kept. */
export function interruptMessage(
  signal: keyof typeof SIGNALS,
  what: string,
  kept: { digest: string; bytes: number }[],
): string {
  const total = kept.reduce((n, k) => n + k.bytes, 0);
  const parts = kept.length
    ? `; ${kept.length} partial layer download${kept.length === 1 ? "" : "s"} (${
      humanSize(total)
    }) kept to be continued`
    : "";
  const keeps = `Kept in the blob cache: the layers already downloaded${parts}. `;
  return `Interrupted (${signal}): the pull of ${what} stopped before it finished. ${keeps}` +
    `No image was written or recorded. Run the same pull again to finish it.`;
}

/**
 * Calls `onSignal` on SIGINT or SIGTERM until disposed; `onSignal` is
 * expected to exit (with the signal's code from `SIGNAL_EXIT_CODES`).
 */
export function onInterrupt(
  onSignal: (signal: keyof typeof SIGNALS, code: number) => void,
): Disposable {
  const listeners = Object.entries(SIGNALS).map(([signal, code]) => {
    const listener = () => onSignal(signal as keyof typeof SIGNALS, code);
    Deno.addSignalListener(signal as Deno.Signal, listener);
    return [signal as Deno.Signal, listener] as const;
  });
  return {
    [Symbol.dispose]: () => {
      for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    },
  };
}

/**
 * Handles SIGINT and SIGTERM until disposed (see the module doc).
 * @param what the reference being pulled, for the message
 */
export function handleInterrupts(what: string): Disposable {
  return onInterrupt((signal, code) => {
    const kept = keepPartialDownloads();
    removeTemporaryNow();
    releasePinsNow();
    printErr(interruptMessage(signal, what, kept));
    Deno.exit(code);
  });
}
