/**
 * What every command needs, built lazily from the environment and the settings
 * file: settings, the catalogue, the blob cache and a registry client.
 * @module
 */
import { loadSettings, type Settings } from "../config/settings.ts";
import { readSecrets } from "../config/secrets_file.ts";
import { credentialLookup } from "../config/credentials.ts";
import { SregistryError } from "../errors.ts";
import type { ClientEvent, RegistryClient } from "../registry/client.ts";
import { createHttpFetcher, type HttpFetcher } from "../registry/http_client.ts";
import { hubEndpoint, MirroredClient, parseMirrors } from "../registry/mirrors.ts";
import { plainHttpPolicy } from "../registry/plain_http.ts";
import type { PullEvent } from "../pull/events.ts";
import { printErr } from "./output.ts";
import { AuthSession, type Credential } from "../registry/auth.ts";
import type { Fetcher } from "../registry/transport.ts";
import { registryEndpoint } from "../reference.ts";
import { BlobCache } from "../store/blob_cache.ts";
import { describeWait } from "../store/locks.ts";
import { explainUnwritable, type Folder } from "../store/unwritable.ts";
import { Catalogue } from "../store/catalogue.ts";
import { VERSION } from "../version.ts";

const USER_AGENT = `sregistry/${VERSION} (deno ${Deno.version.deno})`;

/** Global options. */
export interface GlobalOptions {
  debug?: boolean;
  quiet?: boolean;
}

/** Lazily opened resources of one CLI run. */
export class CliContext {
  readonly env: Record<string, string | undefined>;
  readonly global: GlobalOptions;
  #settings?: Settings;
  #catalogue?: Catalogue;
  #fetch?: Fetcher;
  #http?: HttpFetcher;
  readonly #folders: Folder[] = [];

  constructor(
    env: Record<string, string | undefined>,
    global: GlobalOptions,
    fetch?: Fetcher,
  ) {
    this.env = env;
    this.global = global;
    this.#fetch = fetch;
  }

  get settings(): Settings {
    if (!this.#settings) {
      const secretsPath = this.env.SREGISTRY_CLIENT_SECRETS ??
        `${this.env.HOME ?? "."}/.sregistry`;
      this.#settings = loadSettings(this.env, readSecrets(secretsPath));
    }
    return this.#settings;
  }

  /**
   * The catalogue, or undefined when disabled (SREGISTRY_DISABLE, SINGULARITY_DISABLE_CACHE).
   * `readOnly` (for commands that only read) works on a catalogue the user may not write.
   */
  catalogue(options: { readOnly?: boolean } = {}): Catalogue | undefined {
    if (this.settings.catalogueDisabled) return undefined;
    this.#catalogue ??= Catalogue.open(this.settings.databaseDir, options);
    return this.#catalogue;
  }

  /** The catalogue, or a clear error when it is disabled. */
  requireCatalogue(action: string, options: { readOnly?: boolean } = {}): Catalogue {
    const catalogue = this.catalogue(options);
    if (!catalogue) {
      throw new SregistryError(
        `Cannot ${action}: the catalogue is disabled (SREGISTRY_DISABLE or SINGULARITY_DISABLE_CACHE is set): unset it to use the catalogue`,
      );
    }
    return catalogue;
  }

  /** The blob cache (an OCI layout under SINGULARITY_CACHEDIR). */
  blobCache(): BlobCache {
    return new BlobCache(`${this.settings.cacheDir}/oci`, {
      onWait: (_, wait) => this.global.quiet || printErr(`Waiting: ${describeWait(wait)}`),
    });
  }

  /** The HTTP function with the user's CA file and TLS messages (made once). */
  #httpFetch(): Fetcher {
    this.#http ??= createHttpFetcher(
      { caFile: this.settings.caFile, httpsNoVerify: this.settings.httpsNoVerify },
      this.#fetch ? { fetch: this.#fetch } : {},
    );
    return this.#http.fetch;
  }

  /**
   * A registry client with credentials and the user's network settings: CA
   * file, Docker Hub endpoint (`SREGISTRY_DOCKERHUB_BASE`) and mirrors
   * (`SREGISTRY_DOCKERHUB_MIRROR`). Its events (rate limits, retries, mirrors)
   * go to `onEvent` as pull events, or else to stderr; which mirror served
   * shows only with `--debug`.
   */
  registryClient(
    options: { noHttps?: boolean; onEvent?: (e: PullEvent) => void } = {},
  ): RegistryClient {
    const settings = this.settings;
    const plainHttp = this.#plainHttp(options.noHttps);
    const hub = hubEndpoint(settings.dockerhub.base, plainHttp("docker.io"));
    const isHub = (domain: string) => domain === "docker.io" || domain === hub.host;
    return new MirroredClient({
      fetch: this.#httpFetch(),
      userAgent: USER_AGENT,
      credentials: credentialLookup({ env: this.env, settings }),
      endpoint: (domain) => (domain === "docker.io" ? hub.host : registryEndpoint(domain)),
      plainHttp: (domain) => (isHub(domain) ? hub.plainHttp : plainHttp(domain)),
      retries: settings.retries,
      stallTimeoutMs: settings.timeoutS * 1000,
      mirrors: parseMirrors(settings.dockerhub.mirrors, { plainHttp: options.noHttps }),
      onEvent: this.#clientEvents(options.onEvent),
    });
  }

  /** Plain http for `--no-https`, or SREGISTRY_DOCKERHUB_NOHTTPS on the hub (see plain_http.ts). */
  #plainHttp(noHttps?: boolean): (domain: string) => boolean {
    const hubHost = hubEndpoint(this.settings.dockerhub.base, false).host;
    return plainHttpPolicy({
      noHttps,
      hubNoHttps: this.settings.dockerhub.noHttps,
      isHub: (domain) => domain === "docker.io" || domain === hubHost,
    });
  }

  /** Client events as pull events: warnings, steps, debug-only steps; each text once. */
  #clientEvents(onEvent?: (e: PullEvent) => void): (e: ClientEvent) => void {
    const emit = onEvent ?? ((e: PullEvent) => {
      if (this.global.quiet) return;
      if (e.kind === "warning") printErr(`Warning: ${e.text}`);
      else if (e.kind === "step") printErr(e.text);
    });
    const seen = new Set<string>();
    return (e) => {
      if (e.kind === "mirror" && !this.global.debug) return;
      if (seen.has(e.message)) return;
      seen.add(e.message);
      const warning = e.kind === "ratelimit" || e.kind === "mirror-failed";
      emit(warning ? { kind: "warning", text: e.message } : { kind: "step", text: e.message });
    };
  }

  /** Checks credentials against a registry's `/v2/` endpoint (for `login`). */
  async verifyLogin(domain: string, credential: Credential, noHttps = false): Promise<void> {
    const plain = this.#plainHttp(noHttps)(domain);
    const session = new AuthSession(this.#httpFetch(), {
      credentials: () => Promise.resolve(credential),
      allowHttpRealm: () => plain,
    });
    const url = `${plain ? "http" : "https"}://${registryEndpoint(domain)}/v2/`;
    let res: Response;
    try {
      res = await session.fetch(new Request(url, { headers: { "User-Agent": USER_AGENT } }));
    } catch (e) {
      throw new SregistryError(
        `Cannot log in to ${domain}: ${
          (e as Error).message
        }: check the registry name and your network`,
        { cause: e },
      );
    }
    await res.body?.cancel();
    if (res.status === 401 || res.status === 403) {
      throw new SregistryError(
        `Cannot log in to ${domain}: the registry refused the user name or password: check them and try again`,
      );
    }
    if (!res.ok) {
      throw new SregistryError(`Cannot log in to ${domain}: the registry answered ${res.status}`);
    }
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
        { path: s.cacheDir, variable: "SINGULARITY_CACHEDIR", within: `${s.cacheDir}/oci` },
        { path: s.databaseDir, variable: "SREGISTRY_DATABASE" },
        { path: s.tmpDir, variable: "SREGISTRY_TMPDIR" },
        { path: this.env.XDG_RUNTIME_DIR ?? "", variable: "XDG_RUNTIME_DIR" },
      ];
    } catch { /* no settings: only the command's folders */ }
    return explainUnwritable(error, [...this.#folders, ...folders]);
  }

  close(): void {
    this.#catalogue?.close();
    this.#http?.close();
  }
}
