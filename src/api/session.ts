/**
 * The one wiring of settings, settings file, credentials, mirrors, CA file,
 * catalogue, blob cache and registry client. The CLI (`src/cli/context.ts`)
 * and the scripting API (`src/api/api.ts`) both use it, so a script reads
 * exactly what the command reads. Resources open lazily; `close()` (or
 * `using`) releases them.
 * @module
 */
import { loadSettings, type Settings } from "../config/settings.ts";
import { readSecrets } from "../config/secrets_file.ts";
import { secretsFilePath } from "../config/paths.ts";
import { credentialLookup } from "../config/credentials.ts";
import { SregistryError } from "../errors.ts";
import type { ClientEvent, RegistryClient } from "../registry/client.ts";
import { createHttpFetcher, type HttpFetcher } from "../registry/http_client.ts";
import { hubEndpoint, MirroredClient, parseMirrors } from "../registry/mirrors.ts";
import { plainHttpPolicy } from "../registry/plain_http.ts";
import type { PullEvent } from "../pull/events.ts";
import { AuthSession, type Credential } from "../registry/auth.ts";
import type { Fetcher } from "../registry/transport.ts";
import { registryEndpoint } from "../reference.ts";
import { BlobCache } from "../store/blob_cache.ts";
import { Catalogue } from "../store/catalogue.ts";
import { VERSION } from "../version.ts";

const USER_AGENT = `sregistry/${VERSION} (deno ${Deno.version.deno})`;

/** How a session is made: all optional. */
export interface SessionOptions {
  /** The environment to read settings from; default `Deno.env.toObject()`. */
  env?: Record<string, string | undefined>;
  /** The HTTP function (tests inject one); default the global `fetch` with the user's CA file. */
  fetch?: Fetcher;
  /** Overrides of single settings, e.g. `{ tmpDir: "/scratch/tmp" }` for `--tmpdir`. */
  overrides?: Partial<Settings>;
  /** Where registry events (rate limits, retries, mirror failures) go; default nowhere. */
  onEvent?: (e: PullEvent) => void;
  /** Also report which mirror served a request (the CLI's `--debug`). */
  debug?: boolean;
}

/** Lazily opened resources built from one environment. */
export class Session implements Disposable {
  /** The environment the settings were read from. */
  readonly env: Record<string, string | undefined>;
  readonly #options: SessionOptions;
  #overrides: Partial<Settings>;
  #settings?: Settings;
  #catalogue?: Catalogue;
  #catalogueReadOnly = false;
  #http?: HttpFetcher;

  constructor(options: SessionOptions = {}) {
    this.env = options.env ?? Deno.env.toObject();
    this.#options = options;
    this.#overrides = { ...options.overrides };
  }

  /**
   * Replaces single settings from now on (a command's `--tmpdir`,
   * `--disable-cache`, `--authfile`). Call it before the catalogue is opened.
   */
  override(overrides: Partial<Settings>): void {
    this.#overrides = { ...this.#overrides, ...overrides };
    this.#settings = undefined;
  }

  /**
   * The settings: environment, then the settings file (`SREGISTRY_CLIENT_SECRETS`,
   * default `~/.sregistry`), then defaults, then the overrides.
   * @throws {UsageError} when a variable holds a bad number or word
   */
  get settings(): Settings {
    this.#settings ??= {
      ...loadSettings(this.env, readSecrets(secretsFilePath(this.env))),
      ...this.#overrides,
    };
    return this.#settings;
  }

  /**
   * The catalogue, or undefined when disabled (SREGISTRY_DISABLE, APPTAINER_DISABLE_CACHE).
   * `readOnly` (for commands that only read) works on a catalogue the user may not write;
   * a later call that may write reopens a read-only catalogue for writing.
   */
  catalogue(options: { readOnly?: boolean } = {}): Catalogue | undefined {
    if (this.settings.catalogueDisabled) return undefined;
    if (this.#catalogue && this.#catalogueReadOnly && !options.readOnly) {
      this.#catalogue.close();
      this.#catalogue = undefined;
    }
    if (!this.#catalogue) {
      this.#catalogue = Catalogue.open(this.settings.databaseDir, options);
      this.#catalogueReadOnly = options.readOnly === true;
    }
    return this.#catalogue;
  }

  /**
   * The catalogue, or a clear error when it is disabled.
   * @param action what the caller was doing, for the message ("list images")
   * @param options `readOnly` for a command that only reads
   * @throws {SregistryError} when the catalogue is disabled
   */
  requireCatalogue(action: string, options: { readOnly?: boolean } = {}): Catalogue {
    const catalogue = this.catalogue(options);
    if (!catalogue) {
      throw new SregistryError(
        `Cannot ${action}: the catalogue is disabled (SREGISTRY_DISABLE, APPTAINER_DISABLE_CACHE or SINGULARITY_DISABLE_CACHE is set): unset it to use the catalogue`,
      );
    }
    return catalogue;
  }

  /** The blob cache: an OCI layout at `<cacheDir>/oci` (APPTAINER_CACHEDIR, SINGULARITY_CACHEDIR). */
  blobCache(): BlobCache {
    return new BlobCache(`${this.settings.cacheDir}/oci`);
  }

  /** The HTTP function with the user's CA file and TLS messages (made once). */
  #httpFetch(): Fetcher {
    this.#http ??= createHttpFetcher(
      { caFile: this.settings.caFile, httpsNoVerify: this.settings.httpsNoVerify },
      this.#options.fetch ? { fetch: this.#options.fetch } : {},
    );
    return this.#http.fetch;
  }

  /**
   * A registry client with credentials (settings, `--authfile`/docker config,
   * credential helpers) and the user's network settings: CA file, Docker Hub
   * endpoint (`SREGISTRY_DOCKERHUB_BASE`) and mirrors
   * (`SREGISTRY_DOCKERHUB_MIRROR`). Its events go to `options.onEvent`, else to
   * the session's `onEvent`, each text once; which mirror served only with `debug`.
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
      credentials: credentialLookup({
        env: this.env,
        settings,
        warn: (text) => (options.onEvent ?? this.#options.onEvent)?.({ kind: "warning", text }),
        debug: (text) => {
          if (this.#options.debug) {
            (options.onEvent ?? this.#options.onEvent)?.({ kind: "step", text });
          }
        },
      }),
      endpoint: (domain) => (domain === "docker.io" ? hub.host : registryEndpoint(domain)),
      plainHttp: (domain) => (isHub(domain) ? hub.plainHttp : plainHttp(domain)),
      retries: settings.retries,
      stallTimeoutMs: settings.timeoutS * 1000,
      mirrors: parseMirrors(settings.dockerhub.mirrors, { plainHttp: options.noHttps }),
      onEvent: this.#clientEvents(options.onEvent ?? this.#options.onEvent),
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
    const seen = new Set<string>();
    return (e) => {
      if (!onEvent) return;
      if (e.kind === "mirror" && !this.#options.debug) return;
      if (seen.has(e.message)) return;
      seen.add(e.message);
      const warning = e.kind === "ratelimit" || e.kind === "mirror-failed";
      onEvent(warning ? { kind: "warning", text: e.message } : { kind: "step", text: e.message });
    };
  }

  /**
   * Checks credentials against a registry's `/v2/` endpoint (for `login`).
   * @throws {SregistryError} when the registry refuses them or cannot be reached
   */
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

  /** Closes the catalogue and the HTTP client, if they were opened. */
  close(): void {
    this.#catalogue?.close();
    this.#catalogue = undefined;
    this.#http?.close();
    this.#http = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
