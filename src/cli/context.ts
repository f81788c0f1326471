/**
 * What every command needs, built lazily from the environment and the settings
 * file: settings, the catalogue, the blob cache and a registry client.
 * @module
 */
import { loadSettings, type Settings } from "../config/settings.ts";
import { readSecrets } from "../config/secrets_file.ts";
import { credentialLookup } from "../config/credentials.ts";
import { SregistryError } from "../errors.ts";
import { RegistryClient } from "../registry/client.ts";
import { AuthSession, type Credential } from "../registry/auth.ts";
import type { Fetcher } from "../registry/transport.ts";
import { registryEndpoint } from "../reference.ts";
import { BlobCache } from "../store/blob_cache.ts";
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
  #fetch: Fetcher;

  constructor(
    env: Record<string, string | undefined>,
    global: GlobalOptions,
    fetch: Fetcher = (req) => globalThis.fetch(req),
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

  /** The catalogue, or undefined when disabled (SREGISTRY_DISABLE, SINGULARITY_DISABLE_CACHE). */
  catalogue(): Catalogue | undefined {
    if (this.settings.catalogueDisabled) return undefined;
    this.#catalogue ??= Catalogue.open(this.settings.databaseDir);
    return this.#catalogue;
  }

  /** The catalogue, or a clear error when it is disabled. */
  requireCatalogue(action: string): Catalogue {
    const catalogue = this.catalogue();
    if (!catalogue) {
      throw new SregistryError(
        `Cannot ${action}: the catalogue is disabled (SREGISTRY_DISABLE or SINGULARITY_DISABLE_CACHE is set): unset it to use the catalogue`,
      );
    }
    return catalogue;
  }

  /** The blob cache (an OCI layout under SINGULARITY_CACHEDIR). */
  blobCache(): BlobCache {
    return new BlobCache(`${this.settings.cacheDir}/oci`);
  }

  /** A registry client with credentials and the user's network settings. */
  registryClient(options: { noHttps?: boolean } = {}): RegistryClient {
    const settings = this.settings;
    const plain = options.noHttps || settings.dockerhub.noHttps;
    return new RegistryClient({
      fetch: this.#fetch,
      userAgent: USER_AGENT,
      credentials: credentialLookup({ env: this.env, settings }),
      plainHttp: () => plain,
      retries: settings.retries,
      stallTimeoutMs: settings.timeoutS * 1000,
    });
  }

  /** Checks credentials against a registry's `/v2/` endpoint (for `login`). */
  async verifyLogin(domain: string, credential: Credential, noHttps = false): Promise<void> {
    const plain = noHttps || this.settings.dockerhub.noHttps;
    const session = new AuthSession(this.#fetch, {
      credentials: () => Promise.resolve(credential),
      allowHttpRealm: () => plain,
    });
    const url = `${plain ? "http" : "https"}://${registryEndpoint(domain)}/v2/`;
    let res: Response;
    try {
      res = await session.fetch(new Request(url, { headers: { "User-Agent": USER_AGENT } }));
    } catch (e) {
      throw new SregistryError(
        `Cannot log in to ${domain}: ${(e as Error).message}: check the registry name and your network`,
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

  close(): void {
    this.#catalogue?.close();
  }
}
