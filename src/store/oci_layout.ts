/**
 * The OCI image layout format, in one place (image-spec `image-layout.md`):
 * a folder with `oci-layout` (`{"imageLayoutVersion":"1.0.0"}`), `index.json`
 * (an image index whose entries name images by the
 * `org.opencontainers.image.ref.name` annotation) and `blobs/<algorithm>/<encoded>`.
 * The blob cache writes it (`blob_cache.ts`); the `oci:` source
 * (`sources/layout.ts`) and `--offline` read it. Paths and the two small
 * files are built here only.
 * @module
 */
import { parseDocument } from "../document.ts";
import { OciLayoutSchema } from "../image/schemas.ts";
import { writeFileAtomic } from "./atomic_file.ts";
import { exists } from "./file_exists.ts";

/** The annotation that names an image in `index.json` (image-spec `annotations.md`). */
export const REF_NAME = "org.opencontainers.image.ref.name";

/** The `imageLayoutVersion` this layout writer writes. */
export const IMAGE_LAYOUT_VERSION = "1.0.0";

/** An entry of the layout's `index.json`. */
export interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** A layout's `index.json` as read and written. */
export interface LayoutIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: IndexEntry[];
}

/** The `index.json` of an empty OCI image layout. */
export function emptyIndex(): LayoutIndex & { mediaType: string } {
  return {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [],
  };
}

/** The paths of a layout rooted at `root`: its `oci-layout`, `index.json` and sha256 blob folder. */
export function layoutPaths(root: string): { ociLayout: string; index: string; blobs: string } {
  return {
    ociLayout: `${root}/oci-layout`,
    index: `${root}/index.json`,
    blobs: `${root}/blobs/sha256`,
  };
}

/** image-spec `descriptor.md` digest grammar: `algorithm ":" encoded`. */
const DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/**
 * The path of the blob `digest` in the layout at `root`:
 * `blobs/<algorithm>/<encoded>`.
 * @throws {SyntaxError} when `digest` does not follow the digest grammar (so no
 *   digest can name a path outside `blobs/`)
 */
export function layoutBlobPath(root: string, digest: string): string {
  const m = DIGEST.exec(digest);
  if (!m) throw new SyntaxError(`Cannot use digest "${digest}": it is not algorithm:encoded`);
  return `${root}/blobs/${m[1]}/${m[2]}`;
}

/**
 * Creates an empty layout at `root` where its parts are missing: the sha256
 * blob folder, `oci-layout` and an empty `index.json` (written atomically;
 * existing files are kept).
 * @throws what the file system throws (the caller names the folder to change)
 */
export function initLayout(root: string): void {
  const paths = layoutPaths(root);
  Deno.mkdirSync(paths.blobs, { recursive: true });
  if (!exists(paths.ociLayout)) {
    writeFileAtomic(paths.ociLayout, JSON.stringify({ imageLayoutVersion: IMAGE_LAYOUT_VERSION }));
  }
  if (!exists(paths.index)) writeFileAtomic(paths.index, JSON.stringify(emptyIndex()));
}

/** Replaces the layout's `index.json` atomically (readers see the old or the new file). */
export function writeLayoutIndex(root: string, index: LayoutIndex): void {
  writeFileAtomic(layoutPaths(root).index, JSON.stringify(index, null, 2));
}

/**
 * Checks the layout's `oci-layout` file when there is one (some writers omit
 * it; `index.json` decides then).
 * @throws {DocumentError} when it is not `{"imageLayoutVersion": "..."}`; `fix` says what to do
 */
export function checkOciLayoutFile(root: string, fix: string): void {
  const path = layoutPaths(root).ociLayout;
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch {
    return;
  }
  parseDocument(bytes, OciLayoutSchema, { kind: "oci-layout", origin: path, fix });
}
