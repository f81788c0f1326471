/**
 * Docker schema1 manifests (deprecated, signed or not): the JWS payload for
 * the digest, and conversion to an image manifest with a synthesized config.
 * @module
 */
import { DocumentError, parseDocument } from "../document.ts";
import { type ImageConfig, V1CompatibilitySchema } from "../image/schemas.ts";

/** Decodes unpadded base64url. */
function base64url(s: string): Uint8Array {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/**
 * The bytes a signed schema1 manifest's digest is computed over: the first
 * `formatLength` bytes plus the decoded `formatTail` of the first
 * signature's protected header. Unsigned manifests are their own payload.
 * @throws {SyntaxError} When the signature header is malformed.
 */
export function schema1Payload(bytes: Uint8Array, doc: Record<string, unknown>): Uint8Array {
  const sigs = doc.signatures;
  if (!Array.isArray(sigs) || sigs.length === 0) return bytes;
  const protectedB64 = (sigs[0] as Record<string, unknown>)?.protected;
  if (typeof protectedB64 !== "string") {
    throw new SyntaxError("schema1 signature has no protected header");
  }
  let header: { formatLength?: unknown; formatTail?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(base64url(protectedB64)));
  } catch {
    throw new SyntaxError("schema1 signature protected header is not base64url JSON");
  }
  const { formatLength, formatTail } = header;
  if (
    typeof formatLength !== "number" || !Number.isInteger(formatLength) || formatLength < 0 ||
    formatLength > bytes.length || typeof formatTail !== "string"
  ) {
    throw new SyntaxError("schema1 signature protected header has a bad formatLength/formatTail");
  }
  const tail = base64url(formatTail);
  const out = new Uint8Array(formatLength + tail.length);
  out.set(bytes.subarray(0, formatLength));
  out.set(tail, formatLength);
  return out;
}

/** What a schema1 manifest turns into. */
export interface Schema1Converted {
  /** Layer blob digests, base first, `throwaway` entries dropped, duplicates kept. */
  layers: string[];
  /** A Docker image config JSON synthesized from `history[0].v1Compatibility`. */
  config: ImageConfig;
}

/**
 * Converts schema1 `fsLayers`/`history` (newest first) to base-first layers
 * and an image config. Layers whose v1Compatibility says `throwaway` are
 * empty and dropped; every other entry is kept in order, repeated blobs
 * included, so the layer list always matches the history.
 * @throws {SyntaxError} On missing or inconsistent fields.
 */
export function convertSchema1(doc: Record<string, unknown>): Schema1Converted {
  const fsLayers = doc.fsLayers;
  const history = doc.history;
  if (!Array.isArray(fsLayers) || !Array.isArray(history) || fsLayers.length === 0) {
    throw new SyntaxError("schema1 manifest has no fsLayers/history");
  }
  if (fsLayers.length !== history.length) {
    throw new SyntaxError(
      `schema1 manifest has ${fsLayers.length} fsLayers but ${history.length} history entries`,
    );
  }
  const v1 = history.map((h, i) => {
    const s = (h as Record<string, unknown>)?.v1Compatibility;
    if (typeof s !== "string") {
      throw new SyntaxError(`schema1 history[${i}] has no v1Compatibility`);
    }
    try {
      return parseDocument(s, V1CompatibilitySchema, { kind: "manifest", fix: "" });
    } catch (e) {
      if (!(e instanceof DocumentError)) throw e;
      const { path, message } = e.issues[0];
      const where = `$.history[${i}].v1Compatibility` + (path ? ` (at ${path})` : "");
      throw new SyntaxError(`${where} ${message}`);
    }
  });
  const layers: string[] = [];
  const hist: Record<string, unknown>[] = [];
  for (let i = fsLayers.length - 1; i >= 0; i--) {
    const sum = (fsLayers[i] as Record<string, unknown>)?.blobSum;
    if (typeof sum !== "string") throw new SyntaxError(`schema1 fsLayers[${i}] has no blobSum`);
    const empty = v1[i].throwaway === true;
    if (!empty) layers.push(sum);
    hist.push({
      created: v1[i].created,
      created_by: v1[i].container_config?.Cmd?.join(" "),
      ...(empty ? { empty_layer: true } : {}),
    });
  }
  const top = v1[0];
  const config: ImageConfig = {
    architecture: top.architecture ??
      (typeof doc.architecture === "string" ? doc.architecture : "amd64"),
    os: top.os ?? "linux",
    ...(top.created ? { created: top.created } : {}),
    ...(top.author ? { author: top.author } : {}),
    config: top.config ?? {},
    rootfs: { type: "layers" as const, diff_ids: [] },
    history: hist,
  };
  return { layers, config };
}
