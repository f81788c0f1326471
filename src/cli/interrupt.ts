/**
 * Ctrl-C (SIGINT), SIGTERM (a batch system ending the job) and SIGHUP (the
 * ssh session to the login node dropped) during a pull:
 * instead of dying in silence, the pull keeps each partial layer download in
 * the blob cache for the next pull to continue with `Range`, removes its work
 * folders, partial image and the sandbox folder it filled, releases its pins
 * on cache blobs and every lock file it holds (blob and `index.json` locks),
 * says what was kept, and exits 130 (SIGINT), 143 (SIGTERM) or 129 (SIGHUP),
 * as a shell reports a process killed by that signal. A signal this process
 * was started ignoring (`nohup` ignores SIGHUP, a shell's background job
 * SIGINT) stays ignored: the pull goes on, as the user asked. Deno's first
 * signal listener resets every ignored signal to its default (measured:
 * `SigIgn` 0x1001 becomes 0x1000 under `nohup`), so those get a listener
 * that does nothing; before, `nohup sregistry pull ... &` died at logout.
 * @module
 */
import { removeTemporaryNow } from "../store/work_dirs.ts";
import { humanSize } from "../size.ts";
import { keepPartialDownloads } from "../store/blob_cache.ts";
import { releasePinsNow } from "../store/blob_pins.ts";
import { releaseLocksNow } from "../store/locks.ts";
import { SIGNAL_EXIT_CODES } from "./exit.ts";
import { printErr } from "./output.ts";

const SIGNALS = SIGNAL_EXIT_CODES;
const NUMBERS: Record<keyof typeof SIGNALS, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/**
 * The signals ignored when this process started (inherited, e.g. from
 * `nohup`), read once before any listener is added: the mask `ps -o ignored`
 * shows (Deno refuses /proc/self/status without --allow-all). When `ps`
 * cannot tell (not procps), none is taken as ignored (as before).
 */
let ignoredAtStart: Set<string> | undefined;

function ignoredSignals(): Set<string> {
  if (ignoredAtStart) return ignoredAtStart;
  ignoredAtStart = new Set();
  try {
    const out = new Deno.Command("ps", {
      args: ["-o", "ignored=", "-p", String(Deno.pid)],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const hex = new TextDecoder().decode(out.stdout).trim();
    if (out.success && /^[0-9a-f]{1,32}$/i.test(hex)) {
      const mask = BigInt(`0x${hex}`);
      for (const [name, n] of Object.entries(NUMBERS)) {
        if ((mask >> BigInt(n - 1)) & 1n) ignoredAtStart.add(name);
      }
    }
  } catch { /* no ps */ }
  return ignoredAtStart;
}

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
 * Handles SIGINT, SIGTERM and SIGHUP during a pull until disposed (see the
 * module doc); a signal ignored when this process started stays ignored.
 * @param what the reference being pulled, for the message
 */
export function handleInterrupts(what: string): Disposable {
  return onInterrupt((signal, code) => {
    const kept = keepPartialDownloads();
    removeTemporaryNow();
    releasePinsNow();
    releaseLocksNow(); // after the partial downloads are kept, which the blob locks guard
    tell(interruptMessage(signal, what, kept));
    Deno.exit(code);
  });
}

/**
 * Handles SIGINT, SIGTERM and SIGHUP during a command that takes cache locks
 * (`cache prune`, `cache clean`, `rm --prune`) until disposed: releases every
 * lock and pin this process holds, says what stopped, and exits as
 * {@linkcode handleInterrupts} does.
 * @param what what stopped, for the message ("the cache prune")
 */
export function releaseOnInterrupt(what: string): Disposable {
  return onInterrupt((signal, code) => {
    releasePinsNow();
    releaseLocksNow();
    tell(`Interrupted (${signal}): ${what} stopped before it finished; what it removed is gone.`);
    Deno.exit(code);
  });
}

/**
 * Handles SIGINT, SIGTERM and SIGHUP while `mv`, `rename` or `add` copies a
 * file, until disposed: the partial copy is removed, the record and the file
 * stay as they were, and the process exits as {@linkcode handleInterrupts}
 * does. The steps that change the record and the file run synchronously, so
 * a signal is heard only before them (during the copy or the digest) or after.
 * @param what what stopped, for the message ("the move of REF")
 */
export function copyInterrupts(what: string): Disposable {
  return onInterrupt((signal, code) => {
    removeTemporaryNow();
    tell(
      `Interrupted (${signal}): ${what} stopped before it finished: the partial copy is removed; ` +
        `the image and its record are as they were. Run the same command again to do it.`,
    );
    Deno.exit(code);
  });
}

function tell(message: string): void {
  try {
    printErr(message);
  } catch { /* a terminal gone with SIGHUP (EIO): nobody to tell */ }
}

/**
 * Calls `run` on SIGINT, SIGTERM or SIGHUP until disposed (a signal ignored
 * when this process started stays ignored); `run` is expected to exit with
 * the signal's code (`SIGNAL_EXIT_CODES`).
 */
export function onInterrupt(
  run: (signal: keyof typeof SIGNALS, code: number) => void,
): Disposable {
  const ignored = ignoredSignals();
  const listeners = Object.entries(SIGNALS).map(([signal, code]) => {
    const listener = ignored.has(signal)
      ? () => {}
      : () => run(signal as keyof typeof SIGNALS, code);
    Deno.addSignalListener(signal as Deno.Signal, listener);
    return [signal as Deno.Signal, listener] as const;
  });
  return {
    [Symbol.dispose]: () => {
      for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    },
  };
}
