/**
 * `pull`'s arguments checked before anything is fetched: the order of the two
 * positionals (Apptainer's `pull OUT.sif REF`), and flags that contradict each
 * other (`--sandbox` with `--keep-sandbox`, `--name`, `--dir`, `--builder`,
 * ...), each a usage error (exit 2) naming both and saying which to keep.
 * Before, the later flag was ignored: `pull --sandbox x --keep-sandbox y REF`
 * never made `y`; `pull REF1 REF2` wrote REF2 into a file named REF1.
 * @module
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { isLocalSource } from "../api/schemes.ts";
import { UsageError } from "../errors.ts";

/** The flags of `pull` these checks read (commander's names). */
export interface PullArgFlags {
  name?: string;
  dir?: string;
  sandbox?: string;
  keepSandbox?: string;
  builder?: string;
  compression?: string;
  sudo?: boolean;
  offline?: boolean;
  disableCache?: boolean;
  reference?: string;
}

/** File names Apptainer gives images: SIF and the old image formats. */
const IMAGE_FILE = /\.(sif|simg|img)$/i;
/** Schemes of sources (`docker://`, `oci:`, ...) and of sources sregistry refuses. */
const SOURCE_SCHEME =
  /^(docker|nvidia|oci|oci-archive|docker-archive|docker-daemon|library|shub|oras|https?):/i;

/**
 * True when an argument reads as an image reference rather than a file name:
 * a source scheme, a tag or digest after the last `/`, or a first component
 * that is a registry (`host.name/`, `host:port/`, `localhost/`). Paths
 * starting with `/`, `./`, `../` and names ending in `.sif`, `.simg`, `.img`
 * are files.
 */
export function looksLikeReference(arg: string): boolean {
  if (IMAGE_FILE.test(arg) || /^(\/|\.\.?\/|~)/.test(arg)) return false;
  if (SOURCE_SCHEME.test(arg)) return true;
  const slash = arg.lastIndexOf("/");
  if (arg.slice(slash + 1).includes(":") || arg.includes("@")) return true;
  const first = arg.split("/")[0];
  return slash >= 0 && (/[.:]/.test(first) || first === "localhost");
}

/**
 * `[OUT.sif] REF` and `--name`: the output file and the reference.
 * @throws {UsageError} when the output file is given twice, when the only
 *   positional names an image file (`out.sif`, no reference), when the first of
 *   two positionals reads as a reference (`looksLikeReference`), or when the
 *   second names an image file (`x.sif`): the order is `pull OUT.sif REF`
 */
export function outputAndReference(
  first: string,
  second: string | undefined,
  name?: string,
): { reference: string; name?: string } {
  if (second === undefined) {
    if (IMAGE_FILE.test(first) && !looksLikeReference(first) && !first.includes(":")) {
      throw new UsageError(
        `Cannot pull: ${first} names an output file, and no reference follows: sregistry pull ${first} REF`,
      );
    }
    return { reference: first, name };
  }
  if (IMAGE_FILE.test(second) && !looksLikeReference(second)) {
    throw new UsageError(
      `Cannot pull: ${second} comes after the reference: the output file comes first, as in apptainer: sregistry pull ${second} ${first}`,
    );
  }
  if (looksLikeReference(first)) {
    throw new UsageError(
      `Cannot pull: ${first} looks like an image reference, not an output file: give one reference, with the output file first, as in apptainer: sregistry pull OUT.sif REF (or --name OUT.sif; write ./${first} for a file of that name)`,
    );
  }
  if (name !== undefined) {
    throw new UsageError(
      `Cannot pull: the output file is given twice (${first} and --name ${name}): keep one`,
    );
  }
  return { reference: second, name: first };
}

/** `Cannot pull with A and B: why: use one of them`. */
function conflict(a: string, b: string, why: string): UsageError {
  return new UsageError(`Cannot pull with ${a} and ${b}: ${why}: use one of them`);
}

/**
 * Refuses flags that contradict each other.
 * @param flags the parsed flags
 * @param output how the output file was given: `--name X` or `OUT.sif X`
 * @param reference the reference as typed
 * @throws {UsageError} naming the two flags and why they clash
 */
export function checkPullConflicts(
  flags: PullArgFlags,
  output: string | undefined,
  reference: string,
): void {
  const sandbox = flags.sandbox !== undefined ? `--sandbox ${flags.sandbox}` : undefined;
  if (sandbox) {
    const noSif = "--sandbox writes only the root filesystem, no SIF";
    if (flags.keepSandbox !== undefined) {
      throw conflict(
        sandbox,
        `--keep-sandbox ${flags.keepSandbox}`,
        `${noSif}; --keep-sandbox writes the SIF and keeps the tree`,
      );
    }
    if (output) throw conflict(sandbox, output, `${noSif} to name`);
    if (flags.dir !== undefined) {
      throw conflict(sandbox, `--dir ${flags.dir}`, `${noSif} to put there`);
    }
    if (flags.builder !== undefined && flags.builder !== "auto") {
      throw conflict(sandbox, `--builder ${flags.builder}`, `${noSif} to build`);
    }
    if (flags.compression !== undefined) {
      throw conflict(sandbox, `--compression ${flags.compression}`, `${noSif} to compress`);
    }
    if (flags.sudo) throw conflict(sandbox, "--sudo", `${noSif} for apptainer to build`);
  }
  if (flags.sudo && !["apptainer", "singularity"].includes(flags.builder ?? "auto")) {
    throw new UsageError(
      `Cannot pull with --sudo and --builder ${
        flags.builder ?? "auto"
      }: --sudo runs apptainer or singularity build: add --builder apptainer (or singularity), or drop --sudo`,
    );
  }
  if (flags.dir !== undefined && flags.name !== undefined && isAbsolute(flags.name)) {
    throw conflict(
      `--dir ${flags.dir}`,
      `--name ${flags.name}`,
      "--name is an absolute path, so --dir would not be used",
    );
  }
  if (flags.offline && flags.disableCache) {
    throw conflict(
      "--offline",
      "--disable-cache",
      "--offline takes layers only from the layer cache, which --disable-cache turns off",
    );
  }
  if (flags.reference !== undefined && !isLocalSource(reference)) {
    throw new UsageError(
      `Cannot pull ${reference} with --reference ${flags.reference}: --reference names a local source (oci:, oci-archive:, docker-archive:) in the catalogue; a registry image is recorded under its own reference: drop --reference`,
    );
  }
}

/**
 * Refuses a folder option (`--dir`, `--tmpdir`, `--sandbox`, ...) naming a
 * file, or a path through a file (`file/sub`), before anything is fetched;
 * with `isFile`, the same for the folder of an output file (`--name`, OUT).
 * A missing folder is fine (it is created later). Before, `--dir FILE` failed
 * after the download with "Not a directory (os error 20): lstat ...".
 * @param path the folder (or output file) as given
 * @param option the option, for the message (`--dir`)
 * @throws {UsageError} `Cannot pull: --dir X is a file, not a folder: ...`
 */
export function checkFolderOption(path: string, option: string, isFile = false): void {
  const full = resolve(path);
  for (let p = isFile ? dirname(full) : full;; p = dirname(p)) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(p);
    } catch (e) {
      const missing = e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory;
      if (missing && dirname(p) !== p) continue;
      return; // unreadable: the step that uses it says why
    }
    if (info.isDirectory) return;
    const which = p === full ? path : `${path}: ${p}`;
    throw new UsageError(
      `Cannot pull: ${option} ${which} is a file, not a folder: ${
        isFile
          ? `give ${option} a path in a folder`
          : `give ${option} a folder (a missing one is created)`
      }`,
    );
  }
}
