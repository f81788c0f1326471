/**
 * Which registries are spoken to in plain HTTP. Credentials follow the
 * scheme, so this decides whether they can travel in clear:
 *
 * - `--no-https` (one command, named by the user): every registry of that
 *   command;
 * - `SREGISTRY_DOCKERHUB_NOHTTPS` (a standing setting): only the Docker Hub
 *   host (`SREGISTRY_DOCKERHUB_BASE`), as the original sregistry did, and
 *   registries on this machine's loopback interface (`localhost`,
 *   `127.0.0.0/8`, `[::1]`), whose traffic never leaves the machine (Docker
 *   trusts `127.0.0.0/8` the same way). Other registries stay https.
 * - Docker Hub mirrors are reached as written in `SREGISTRY_DOCKERHUB_MIRROR`
 *   (`http://host` for plain HTTP; a bare host is https), since each mirror
 *   has its own credentials.
 * @module
 */

/** True for `localhost`, `127.x.y.z` and `[::1]`, with or without a port. */
export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith("[")
    ? host.slice(0, host.indexOf("]") + 1)
    : host.replace(/:\d*$/, "");
  const lower = name.toLowerCase();
  return lower === "localhost" || lower === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(lower);
}

/** Options of {@linkcode plainHttpPolicy}. */
export interface PlainHttpOptions {
  /** `--no-https` given to this command. */
  noHttps?: boolean;
  /** `SREGISTRY_DOCKERHUB_NOHTTPS`. */
  hubNoHttps?: boolean;
  /** True for the reference domains that mean Docker Hub (`docker.io`, its base host). */
  isHub: (domain: string) => boolean;
}

/**
 * The rule in the module doc, as a function of a reference domain
 * (`docker.io`, `ghcr.io`, `127.0.0.1:5000`).
 * @returns true when that registry is reached over plain http
 * @example
 * ```ts
 * const plain = plainHttpPolicy({ hubNoHttps: true, isHub: (d) => d === "docker.io" });
 * plain("docker.io"); // true
 * plain("ghcr.io"); // false
 * plain("127.0.0.1:5000"); // true
 * ```
 */
export function plainHttpPolicy(o: PlainHttpOptions): (domain: string) => boolean {
  return (domain) =>
    o.noHttps === true || (o.hubNoHttps === true && (o.isHub(domain) || isLoopbackHost(domain)));
}
