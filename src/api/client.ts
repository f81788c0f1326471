/**
 * The ready `client` of `sregistry shell`, as the Python client offered: the
 * high-level calls bound to one {@linkcode Session}, so the catalogue opens
 * once for the whole session.
 * @module
 */
import type { PullResult } from "../pull/pull.ts";
import type { ImageRecord } from "../store/record.ts";
import { add, get, images, inspect, mv, pull, rename, rm } from "./api.ts";
import type { PullOptions } from "./pull.ts";
import { Session, type SessionOptions } from "./session.ts";

/**
 * `pull`, `images`, `get`, `inspect`, `rm`, `mv`, `rename` and `add` on one session.
 *
 * @example
 * ```ts ignore
 * import { Client } from "./client.ts";
 * using client = new Client();
 * for (const r of await client.images()) console.log(r.image);
 * ```
 */
export class Client implements Disposable {
  /** The wiring: settings, catalogue, blob cache, registry client. */
  readonly session: Session;

  /** @param options where settings come from (default: this process's environment) */
  constructor(options: SessionOptions = {}) {
    this.session = new Session(options);
  }

  /** See {@linkcode pull}. */
  pull(reference: string, options: PullOptions = {}): Promise<PullResult> {
    return pull(reference, { ...options, session: this.session });
  }

  /** See {@linkcode images}. */
  images(query: string | string[] = []): Promise<ImageRecord[]> {
    return images(query, { session: this.session });
  }

  /** See {@linkcode get}. */
  get(reference: string): Promise<string> {
    return get(reference, { session: this.session });
  }

  /** See {@linkcode inspect}. */
  inspect(reference: string): Promise<ImageRecord> {
    return inspect(reference, { session: this.session });
  }

  /** See {@linkcode rm}. */
  rm(reference: string): Promise<ImageRecord> {
    return rm(reference, { session: this.session });
  }

  /** See {@linkcode mv}. */
  mv(reference: string, path: string): Promise<string> {
    return mv(reference, path, { session: this.session });
  }

  /** See {@linkcode rename}. */
  rename(reference: string, newReference: string): Promise<string> {
    return rename(reference, newReference, { session: this.session });
  }

  /** See {@linkcode add}. */
  add(
    file: string,
    name: string,
    options: { copy?: boolean; force?: boolean } = {},
  ): Promise<ImageRecord> {
    return add(file, name, { ...options, session: this.session });
  }

  /** Closes the catalogue and the HTTP client. */
  close(): void {
    this.session.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
