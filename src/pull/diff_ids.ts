/**
 * The layers of a manifest against its config's `rootfs.diff_ids`, as
 * containers/image checks them: the config lists one diff ID per layer, the
 * sha256 of the layer's uncompressed tar. The count is checked before any
 * layer downloads (a manifest that lists one layer 10,000 times against a
 * config of one layer is refused at once); each diff ID is checked while the
 * build reads the layer (see {@linkcode verifyDiffId}).
 * @module
 */
import { isDigest, type VerifyingStream, verifyingStream } from "../digest.ts";
import { SregistryError } from "../errors.ts";
import { digestAdvice } from "../messages.ts";
import type { Resolved } from "../sources/source.ts";

/** What to do when the config and the layers disagree (a diff ID's mismatch says the same). */
const ADVICE = digestAdvice("config");

/**
 * The diff IDs of `r`'s layers, in layer order, or undefined for a schema1
 * manifest (whose config sregistry synthesizes, without diff IDs).
 * @throws {SregistryError} When the config has no `rootfs.diff_ids` list,
 * lists a value that is not a sha256 digest, or lists another number of
 * layers than the manifest.
 */
export function layerDiffIds(r: Resolved): string[] | undefined {
  if (r.manifest.configBytes) return undefined; // schema1
  let config: unknown;
  try {
    config = JSON.parse(new TextDecoder().decode(r.configBytes));
  } catch {
    return undefined; // the config's own validation reports it
  }
  const rootfs = (config as { rootfs?: { diff_ids?: unknown } } | null)?.rootfs;
  const ids = rootfs?.diff_ids;
  const fail = (what: string) =>
    new SregistryError(`Cannot use the image ${r.manifestDigest}: ${what}: ${ADVICE}`);
  if (!Array.isArray(ids)) throw fail("its config has no rootfs.diff_ids list");
  const bad = ids.find((id) => typeof id !== "string" || !isDigest(id));
  if (bad !== undefined) {
    throw fail(`its config lists ${JSON.stringify(bad)} as a diff ID, not a sha256 digest`);
  }
  const layers = r.manifest.layers.length;
  if (ids.length !== layers) {
    throw fail(
      `its manifest lists ${layers} layer${
        layers === 1 ? "" : "s"
      } but its config ${ids.length} diff ID${ids.length === 1 ? "" : "s"}`,
    );
  }
  return ids as string[];
}

/**
 * Wraps layer `index`'s uncompressed tar stream in the verifying stream of
 * `src/digest.ts` against its diff ID (no check when `diffId` is undefined:
 * schema1). The build must await `verified` before it keeps what it built: a
 * tar reader stops at the end-of-archive marker, and only then does the rest
 * get hashed.
 */
export function verifyDiffId(
  tar: ReadableStream<Uint8Array>,
  diffId: string | undefined,
  index: number,
): VerifyingStream {
  if (diffId === undefined) return { stream: tar, verified: Promise.resolve() };
  return verifyingStream(tar, diffId, {
    what: `the uncompressed content of layer ${index + 1} (diff ID)`,
    fault: "config",
  });
}
