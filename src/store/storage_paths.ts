/**
 * Where a pulled image lives in managed storage: pure functions that build a
 * file name only from validated components, so that no reference, however
 * hostile, can name a path outside the storage root.
 *
 * Layout (the original client's `<collection>/<image>/<tag>@<version>.sif`,
 * plus a registry folder for registries other than Docker Hub):
 *
 * ```
 * <root>/library/busybox/latest@sha256:<hex>.sif           docker.io/library/busybox:latest
 * <root>/ghcr.io/a/b/c/1@sha256:<hex>.sif                  ghcr.io/a/b/c:1
 * <root>/127.0.0.1:5000/busybox/latest@sha256:<hex>.sif    127.0.0.1:5000/busybox
 * ```
 *
 * Decisions:
 * - The repository path splits at its last `/`: the name is the last
 *   component, the collection is everything before it (`a/b` for `ghcr.io/a/b/c`,
 *   nested folders on disk). A one-component path on a registry other than
 *   Docker Hub has the empty collection `""` (Docker does not imply `library/`
 *   there, and `127.0.0.1:5000/busybox` and `127.0.0.1:5000/library/busybox`
 *   are different repositories). On Docker Hub a one-component path gets
 *   `library/`, as Docker and the original client do.
 * - A digest-only reference keeps the tag `latest`, like the original client;
 *   the digest becomes the version.
 * - The top-level folder is never ambiguous: a registry folder contains a `.`
 *   or a `:` or is `localhost`, and a Docker Hub namespace may contain none of
 *   these (such a path is refused). File names contain `@`, folder names never
 *   do, so a file never collides with a folder.
 * @module
 */

/** The registry whose images are stored without a registry folder. */
export const DOCKER_HUB = "docker.io";

/** The storage-relevant names of an image reference. */
export interface StorageNames {
  /** Registry domain, `docker.io` for Docker Hub, e.g. `127.0.0.1:5000`. */
  registry: string;
  /** Repository path without its last component (`library`, `a/b`), possibly `""`. */
  collection: string;
  /** Last repository path component (`busybox`). */
  name: string;
  /** Tag, `latest` when the reference has none. */
  tag: string;
}

/** The parts of a stored file name: {@linkcode StorageNames} plus the manifest digest. */
export interface StorageParts extends StorageNames {
  /** Platform manifest digest (`sha256:<hex>`); without it the file is `<tag>.sif`. */
  digest?: string;
}

const HUB_ALIASES = new Set([DOCKER_HUB, "index.docker.io", "registry-1.docker.io"]);
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
const HOST_RE = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?$`);
const COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_-]{1,256}$/;

function invalid(what: string, value: string, rule: string): RangeError {
  return new RangeError(
    `Cannot build a storage path: invalid ${what} ${JSON.stringify(value)}: ${rule}`,
  );
}

/** Throws unless `registry` is a host name or IP, with an optional port. */
function checkRegistry(registry: string): void {
  const isHost = HOST_RE.test(registry) && registry.length <= 255;
  if (!isHost) throw invalid("registry", registry, "use a host name or IP with an optional port");
  const marked = registry.includes(".") || registry.includes(":") || registry === "localhost";
  if (!marked) {
    throw invalid("registry", registry, 'a registry contains "." or ":" or is "localhost"');
  }
}

/** Throws unless every `/`-separated component of `path` is a repository component. */
function checkComponents(what: string, path: string, allowEmpty: boolean): string[] {
  if (path === "" && allowEmpty) return [];
  const parts = path.split("/");
  for (const part of parts) {
    if (!COMPONENT_RE.test(part) || part.length > 255) {
      throw invalid(what, path, "use lowercase letters, digits and single separators . _ __ -");
    }
  }
  return parts;
}

function checkTag(tag: string): void {
  if (!TAG_RE.test(tag)) throw invalid("tag", tag, "use letters, digits, _ . - (at most 128)");
}

function checkDigest(digest: string): void {
  if (!DIGEST_RE.test(digest)) throw invalid("digest", digest, 'use "<algorithm>:<hex>"');
}

/** Validates names: the rules in the module documentation. */
function checkNames(names: StorageNames): void {
  const hub = names.registry === DOCKER_HUB;
  if (!hub) checkRegistry(names.registry);
  const collection = checkComponents("collection", names.collection, !hub);
  checkComponents("image name", names.name, false);
  if (names.name.includes("/")) throw invalid("image name", names.name, "use one component");
  checkTag(names.tag);
  if (hub && collection.length > 0 && /[.:]|^localhost$/.test(collection[0])) {
    throw invalid("Docker Hub namespace", collection[0], 'it may not contain "." or ":"');
  }
}

/**
 * The tag a digest-pinned pull is recorded under: the digest with `-` for
 * `:` (`sha256-<hex>`), a valid tag that names the content, not a tag of the
 * registry's (the OCI referrers fallback spells digests the same way).
 * @throws {RangeError} for a digest that is not `<algorithm>:<hex>`
 */
export function digestTag(digest: string): string {
  checkDigest(digest);
  return digest.replace(":", "-").slice(0, 128);
}

/**
 * The storage names of a parsed reference.
 *
 * @param ref `domain` (e.g. `docker.io`, `ghcr.io`, `127.0.0.1:5000`), repository `path`,
 *   optional `tag` and `digest`. With a digest the tag is ignored (the digest
 *   wins, as in Docker's `ParseDockerRef` and Apptainer) and the image is
 *   named by the digest: tag `sha256-<hex>` ({@linkcode digestTag}), so that
 *   `get name:tag` and `get name` never return a digest pull as that tag.
 * @returns registry, collection, name and tag (default `latest`).
 * @throws {RangeError} when a component could name something outside the storage root.
 * @example
 * ```ts
 * import { storageNames } from "./storage_paths.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(storageNames({ domain: "docker.io", path: "busybox" }), {
 *   registry: "docker.io",
 *   collection: "library",
 *   name: "busybox",
 *   tag: "latest",
 * });
 * ```
 */
export function storageNames(
  ref: { domain: string; path: string; tag?: string; digest?: string },
): StorageNames {
  const registry = HUB_ALIASES.has(ref.domain) ? DOCKER_HUB : ref.domain;
  let path = ref.path;
  if (registry === DOCKER_HUB && !path.includes("/")) path = `library/${path}`;
  const cut = path.lastIndexOf("/");
  const names: StorageNames = {
    registry,
    collection: cut < 0 ? "" : path.slice(0, cut),
    name: path.slice(cut + 1),
    tag: ref.digest !== undefined ? digestTag(ref.digest) : ref.tag ?? "latest",
  };
  checkNames(names);
  if (ref.digest !== undefined) checkDigest(ref.digest);
  return names;
}

/**
 * The managed file of an image: `<root>/[<registry>/]<collection>/<name>/<tag>@<digest>.sif`.
 *
 * @param root the storage root (`SREGISTRY_STORAGE`), absolute.
 * @param parts validated again here, whatever their origin.
 * @returns a path strictly inside `root`.
 * @throws {RangeError} for a component that is not a registry, repository, tag or digest.
 * @example
 * ```ts
 * import { storageFile } from "./storage_paths.ts";
 * import assert from "node:assert/strict";
 * const parts = { registry: "ghcr.io", collection: "a/b", name: "c", tag: "1", digest: "sha256:ab" };
 * assert.equal(storageFile("/s", parts), "/s/ghcr.io/a/b/c/1@sha256:ab.sif");
 * ```
 */
export function storageFile(root: string, parts: StorageParts): string {
  if (root === "" || root.includes("\0")) throw invalid("storage root", root, "set a folder");
  checkNames(parts);
  if (parts.digest !== undefined) checkDigest(parts.digest);
  const folders = [root.replace(/\/+$/, "") || ""];
  if (parts.registry !== DOCKER_HUB) folders.push(parts.registry);
  if (parts.collection !== "") folders.push(parts.collection);
  folders.push(parts.name);
  const file = parts.digest === undefined ? `${parts.tag}.sif` : `${parts.tag}@${parts.digest}.sif`;
  return `${folders.join("/")}/${file}`;
}

/**
 * The file `pull --no-cache` writes when no `--name` is given: `./<name>_<tag>.sif`.
 * (The original wrote `./<name>:<tag>.sif`; `:` upsets other tools' argument parsing.)
 *
 * @throws {RangeError} for a name or tag that is not a single safe component.
 * @example
 * ```ts
 * import { defaultNoCacheName } from "./storage_paths.ts";
 * import assert from "node:assert/strict";
 * assert.equal(defaultNoCacheName("busybox", "latest"), "./busybox_latest.sif");
 * ```
 */
export function defaultNoCacheName(name: string, tag: string): string {
  checkComponents("image name", name, false);
  if (name.includes("/")) throw invalid("image name", name, "use one component");
  checkTag(tag);
  return `./${name}_${tag}.sif`;
}
