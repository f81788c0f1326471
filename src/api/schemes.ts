/**
 * The sources Apptainer users type, and what sregistry says about each one it
 * does not pull. sregistry pulls OCI/Docker images: `docker://` (or no
 * scheme), `nvidia://`, `oci:`, `oci-archive:`, `docker-archive:`. Like
 * Apptainer (`pkg/util/uri` `Split`), `oci-archive://x.tar` means the
 * relative file `x.tar`.
 * @module
 */
import { UsageError } from "../errors.ts";

const SUPPORTED =
  "sregistry pulls docker://REF (or REF alone), nvidia://REF, oci:DIR[:TAG], oci-archive:FILE[:TAG] and docker-archive:FILE[:REF]";

/** What to use instead, per scheme sregistry does not pull. */
const INSTEAD: Record<string, string> = {
  "library":
    'library:// is the Sylabs Cloud library of SIF files, not an OCI registry: use "apptainer pull library://..." (or "singularity pull"), then "sregistry add FILE --name REF" to record it',
  "shub":
    'shub:// is Singularity Hub, which is read-only since 2021 and serves no new images: use "apptainer pull shub://...", or pull the image from a Docker/OCI registry',
  "oras":
    'oras:// holds a SIF file as an OCI artifact, not a container image: use "apptainer pull oras://..." or "oras pull", then "sregistry add FILE --name REF"',
  "docker-daemon":
    'sregistry does not talk to a Docker daemon: run "docker save IMAGE -o image.tar", then "sregistry pull docker-archive:image.tar"',
  "http":
    "give the image reference without http://, e.g. host:5000/repo:tag, and add --no-https for a registry without TLS",
  "https": "give the image reference without https://, e.g. ghcr.io/org/image:tag",
};

/**
 * Refuses a source sregistry does not pull, with what to use instead.
 *
 * @param spec the source as typed
 * @throws {UsageError} `Cannot pull library://x: ...: use ...` for `library://`, `shub://`,
 *   `oras://`, `docker-daemon:`, `http(s)://` and any other unknown `scheme://`
 * @example
 * ```ts
 * import { checkScheme } from "./schemes.ts";
 * checkScheme("docker://busybox"); // fine
 * try {
 *   checkScheme("library://alpine");
 *   throw new Error("accepted");
 * } catch (e) {
 *   if (!(e as Error).message.includes("apptainer pull library://")) throw e;
 * }
 * ```
 */
export function checkScheme(spec: string): void {
  const m = /^([a-z][a-z0-9+.-]*):(\/\/)?/i.exec(spec);
  if (!m) return;
  const scheme = m[1].toLowerCase();
  if (["docker", "nvidia"].includes(scheme) && m[2]) return;
  if (["oci", "oci-archive", "docker-archive"].includes(scheme)) return;
  // Without "//" it is a name and a tag ("oras:1.0"), except docker-daemon:IMAGE.
  if (!m[2] && scheme !== "docker-daemon") return;
  const instead = INSTEAD[scheme];
  if (instead) throw new UsageError(`Cannot pull ${spec}: ${instead}`);
  throw new UsageError(
    `Cannot pull ${spec}: ${scheme}:// is not a source sregistry knows: ${SUPPORTED}`,
  );
}

/**
 * Apptainer's spelling of local sources with `//` (`oci-archive://x.tar`) in
 * sregistry's (`oci-archive:x.tar`); anything else unchanged.
 *
 * @example
 * ```ts
 * import { normalizeSource } from "./schemes.ts";
 * if (normalizeSource("docker-archive://img.tar") !== "docker-archive:img.tar") throw new Error();
 * ```
 */
export function normalizeSource(spec: string): string {
  return spec.replace(/^(oci|oci-archive|docker-archive):\/\//, "$1:");
}

/**
 * True for a local source (`oci:DIR`, `oci-archive:FILE`, `docker-archive:FILE`,
 * with or without `//`), false for a registry reference.
 */
export function isLocalSource(spec: string): boolean {
  return /^(oci|oci-archive|docker-archive):/i.test(spec);
}
