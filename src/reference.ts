/**
 * Image references parsed and normalised exactly like distribution/reference
 * (`ParseNormalizedNamed` + `TagNameOnly`), which Docker, containerd and
 * go-containerregistry implement. Pure: no I/O.
 * @module
 */

/** A normalised image reference: `docker.io/library/busybox:latest`. */
export interface Reference {
  /** Registry name as users write it: `docker.io`, `ghcr.io`, `localhost:5000`. */
  readonly domain: string;
  /** Repository path without the domain: `library/busybox`. */
  readonly path: string;
  /** Tag, case preserved; `latest` when neither tag nor digest was given. */
  readonly tag?: string;
  /** `sha256:<64 hex>` when the reference pins a digest. */
  readonly digest?: string;
}

/** A reference that does not follow the grammar; the message names the problem. */
export class ReferenceSyntaxError extends SyntaxError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

const DEFAULT_DOMAIN = "docker.io";
const LEGACY_DOMAIN = "index.docker.io";
const DOCKER_HUB_ENDPOINT = "registry-1.docker.io";
const NVIDIA_DOMAIN = "nvcr.io";
const MAX_PATH = 255;

const ALNUM = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|[-]+)";
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = "\\[(?:[a-fA-F0-9:]+)\\]";
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";
const NAME = `(?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME}`;

const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME_RE = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
const TAG_RE = new RegExp(`^${TAG}$`);

function fail(input: string, reason: string, fix: string): never {
  throw new ReferenceSyntaxError(
    `Cannot parse image reference ${JSON.stringify(input)}: ${reason}: ${fix}`,
  );
}

const FORMAT_FIX = 'write it as [registry/]name[:tag][@sha256:digest], e.g. "ubuntu:22.04"';

/** Validates a digest the way go-digest does (sha256 only). */
function checkDigest(input: string, digest: string): void {
  const colon = digest.indexOf(":");
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (algorithm !== "sha256") {
    fail(input, `unsupported digest algorithm "${algorithm}"`, "use a sha256 digest");
  }
  if (hex.length !== 64) {
    fail(input, "invalid checksum digest length", "a sha256 digest has 64 hex digits");
  }
  if (!/^[a-f0-9]{64}$/.test(hex)) {
    fail(input, "invalid checksum digest format", "write the digest in lower-case hex");
  }
}

/** `Parse` of distribution/reference: no normalisation. */
function parseRaw(input: string, s: string): Reference {
  if (s === "") fail(input, "repository name must have at least one component", FORMAT_FIX);
  const m = REFERENCE_RE.exec(s);
  if (!m) {
    const lower = s.toLowerCase();
    if (lower !== s && REFERENCE_RE.test(lower)) {
      fail(input, "repository name must be lowercase", "write the name in lower case");
    }
    fail(input, "invalid reference format", FORMAT_FIX);
  }
  const [, name, tag, digest] = m;
  const n = ANCHORED_NAME_RE.exec(name)!;
  const domain = n[1] ?? "";
  const path = n[2];
  if (path.length > MAX_PATH) {
    fail(input, `repository name is longer than ${MAX_PATH} characters`, "shorten the name");
  }
  if (digest !== undefined) checkDigest(input, digest);
  return { domain, path, tag, digest };
}

/** `splitDockerDomain` of distribution/reference. */
function splitDomain(name: string): [string, string] {
  const i = name.indexOf("/");
  let domain: string;
  let remainder: string;
  const first = i === -1 ? "" : name.slice(0, i);
  if (
    i === -1 ||
    (!/[.:]/.test(first) && first !== "localhost" && first.toLowerCase() === first)
  ) {
    [domain, remainder] = [DEFAULT_DOMAIN, name];
  } else {
    [domain, remainder] = [first, name.slice(i + 1)];
  }
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes("/")) remainder = "library/" + remainder;
  return [domain, remainder];
}

/** Strips `docker://` and turns `nvidia://x` into `nvcr.io/x`. */
function stripScheme(s: string): string {
  if (s.startsWith("docker://")) return s.slice("docker://".length);
  if (s.startsWith("nvidia://")) {
    const rest = s.slice("nvidia://".length);
    return rest.startsWith(NVIDIA_DOMAIN + "/") ? rest : `${NVIDIA_DOMAIN}/${rest}`;
  }
  return s;
}

/**
 * Parses and normalises an image reference like `docker pull` does:
 * `docker.io` is the default domain (`index.docker.io` folds into it),
 * single-component Hub names get `library/`, the tag defaults to `latest`
 * only when there is neither tag nor digest. A first component is a domain
 * when it has `.` or `:`, is `localhost`, or has upper case. Accepts the
 * `docker://` and `nvidia://` (nvcr.io) prefixes.
 *
 * @param s The reference as the user wrote it.
 * @returns A frozen {@linkcode Reference}.
 * @throws {ReferenceSyntaxError} When the reference is not valid.
 * @example
 * ```ts
 * import { parseReference } from "./reference.ts";
 * const r = parseReference("ubuntu");
 * if (r.path !== "library/ubuntu" || r.tag !== "latest") throw new Error();
 * ```
 */
export function parseReference(s: string): Reference {
  if (typeof s !== "string") throw new TypeError("parseReference() needs a string");
  const input = s;
  s = stripScheme(s);
  if (s === "") fail(input, "repository name must have at least one component", FORMAT_FIX);
  if (IDENTIFIER_RE.test(s)) {
    fail(
      input,
      "cannot specify 64-byte hexadecimal strings",
      "give a name, e.g. name@sha256:<hex>",
    );
  }
  const [domain, remainder] = splitDomain(s);
  const colon = remainder.indexOf(":");
  const remoteName = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remoteName.toLowerCase() !== remoteName) {
    fail(
      input,
      `repository name (${remoteName}) must be lowercase`,
      "write the name in lower case",
    );
  }
  const raw = parseRaw(input, `${domain}/${remainder}`);
  if (raw.domain !== domain) {
    fail(input, `"${domain}" is not a valid registry host`, FORMAT_FIX);
  }
  const tag = raw.tag ?? (raw.digest === undefined ? "latest" : undefined);
  const out: Reference = { domain: raw.domain, path: raw.path };
  if (tag !== undefined) Object.assign(out, { tag });
  if (raw.digest !== undefined) Object.assign(out, { digest: raw.digest });
  return Object.freeze(out);
}

/**
 * Formats a reference in full: `docker.io/library/busybox:latest`,
 * `ghcr.io/o/r@sha256:...`, or both tag and digest when both are set.
 */
export function formatReference(r: Reference): string {
  let s = `${r.domain}/${r.path}`;
  if (r.tag !== undefined) s += `:${r.tag}`;
  if (r.digest !== undefined) s += `@${r.digest}`;
  return s;
}

/**
 * The familiar (Docker UI) form: `ubuntu:22.04` for
 * `docker.io/library/ubuntu:22.04`, `user/app` for Hub user repos.
 */
export function familiarReference(r: Reference): string {
  if (r.domain !== DEFAULT_DOMAIN) return formatReference(r);
  const rest = formatReference(r).slice(DEFAULT_DOMAIN.length + 1);
  const m = /^library\/([^/]+)$/.exec(r.path);
  return m ? rest.slice("library/".length) : rest;
}

/** The host to contact for a domain: `registry-1.docker.io` for `docker.io`. */
export function registryEndpoint(domain: string): string {
  return domain === DEFAULT_DOMAIN ? DOCKER_HUB_ENDPOINT : domain;
}

/** The token scope to pull from a repository: `repository:library/ubuntu:pull`. */
export function pullScope(r: Reference): string {
  return `repository:${r.path}:pull`;
}

/** True when `s` is a valid tag (`[\w][\w.-]{0,127}`). */
export function isTag(s: string): boolean {
  return TAG_RE.test(s);
}
