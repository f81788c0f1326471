/**
 * What every command needs: the library's one wiring (`src/api/session.ts`)
 * plus the CLI's global options. Registry events print to stderr unless
 * `--quiet`; notes about how variables were resolved (Apptainer's
 * "SINGULARITY_X is set, but APPTAINER_X is preferred") print once.
 * @module
 */
import { Session } from "../api/session.ts";
import type { Settings } from "../config/settings.ts";
import type { PullEvent } from "../pull/events.ts";
import type { Fetcher } from "../registry/transport.ts";
import { BlobCache } from "../store/blob_cache.ts";
import { describeWait } from "../store/locks.ts";
import { explainUnwritable, type Folder } from "../store/unwritable.ts";
import { printErr } from "./output.ts";

/** Global options. */
export interface GlobalOptions {
  debug?: boolean;
  quiet?: boolean;
}

/** Prints a registry event the way the CLI does without a progress display. */
function printEvent(quiet: boolean | undefined): (e: PullEvent) => void {
  return (e) => {
    if (quiet) return;
    if (e.kind === "warning") printErr(`Warning: ${e.text}`);
    else if (e.kind === "step") printErr(e.text);
  };
}

/** Lazily opened resources of one CLI run. */
export class CliContext extends Session {
  readonly global: GlobalOptions;
  #noted = false;
  readonly #folders: Folder[] = [];

  constructor(
    env: Record<string, string | undefined>,
    global: GlobalOptions,
    fetch?: Fetcher,
    overrides?: Partial<Settings>,
  ) {
    super({ env, fetch, overrides, debug: global.debug, onEvent: printEvent(global.quiet) });
    this.global = global;
  }

  override get settings(): Settings {
    const settings = super.settings;
    if (!this.#noted) {
      this.#noted = true;
      if (!this.global.quiet) { for (const note of settings.notes) printErr(`Note: ${note}`); }
    }
    return settings;
  }

  /** The blob cache; a pull waiting for a lock in it says who holds it (unless --quiet). */
  override blobCache(): BlobCache {
    return new BlobCache(`${this.settings.cacheDir}/oci`, {
      onWait: (_, wait) => this.global.quiet || printErr(`Waiting: ${describeWait(wait)}`),
    });
  }

  /** Adds folders a command writes (`--name`'s folder, `--sandbox`), for error messages. */
  addFolders(folders: Folder[]): void {
    this.#folders.push(...folders);
  }

  /**
   * A refused write (EACCES, EROFS, a read-only catalogue) in one of the
   * folders of the settings or the command, as a message naming the setting
   * to change; undefined for other errors.
   */
  explainUnwritable(error: unknown): Error | undefined {
    let folders: Folder[] = [];
    try {
      const s = this.settings;
      folders = [
        { path: s.storageDir, variable: "SREGISTRY_STORAGE" },
        { path: s.cacheDir, variable: CACHE_VARIABLE(this.env), within: `${s.cacheDir}/oci` },
        { path: s.databaseDir, variable: "SREGISTRY_DATABASE" },
        { path: s.tmpDir, variable: "SREGISTRY_TMPDIR" },
        { path: this.env.XDG_RUNTIME_DIR ?? "", variable: "XDG_RUNTIME_DIR" },
      ];
    } catch { /* no settings: only the command's folders */ }
    return explainUnwritable(error, [...this.#folders, ...folders]);
  }
}

/** The variable that set the cache folder: APPTAINER_CACHEDIR unless only the older name is set. */
function CACHE_VARIABLE(env: Record<string, string | undefined>): string {
  return !env.APPTAINER_CACHEDIR && env.SINGULARITY_CACHEDIR
    ? "SINGULARITY_CACHEDIR"
    : "APPTAINER_CACHEDIR";
}
