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
}
