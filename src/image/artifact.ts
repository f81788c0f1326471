/**
 * Telling a container image from another OCI artifact stored in a registry:
 * a Helm chart, a SIF pushed with `oras`, signatures, SBOMs. An image
 * manifest's config is an image config (`application/vnd.oci.image.config.v1+json`,
 * `application/vnd.docker.container.image.v1+json`) and its layers are
 * filesystem layers (OCI image spec, "Image Manifest" and "Guidelines for
 * Artifact Usage"). Pure.
 * @module
 */
import { SregistryError } from "../errors.ts";
import { type ImageManifest, MediaType } from "./manifest.ts";

/** Config types of images; generic types some old tools wrote are let through. */
const IMAGE_CONFIG_TYPES = new Set<string>([
  MediaType.ociConfig,
  MediaType.dockerConfig,
  "",
  "application/json",
  "application/octet-stream",
]);

/** Layer types of images: OCI and Docker filesystem layers, and generic types. */
const IMAGE_LAYER = /^application\/vnd\.(oci\.image\.layer\.|docker\.image\.rootfs\.)/;
const GENERIC_LAYER_TYPES = new Set(["", "application/octet-stream"]);

/** What some artifact types are, and the tool that fetches them. */
const KNOWN: Record<string, { what: string; tool: (ref: string) => string }> = {
  "application/vnd.cncf.helm.config.v1+json": {
    what: "a Helm chart",
    tool: (ref) => `helm pull oci://${ref}`,
  },
  "application/vnd.sylabs.sif.config.v1+json": {
    what: "a SIF file pushed as an artifact",
    tool: (ref) => `apptainer pull oras://${ref}`,
  },
};

/**
 * Refuses a manifest that is not a container image's.
 * @param manifest the image manifest (after the index, if any)
 * @param ref the reference as shown to the user (`host/name:tag`)
 * @throws {SregistryError} `Cannot pull REF: REF is not a container image
 *   (its config is TYPE...)` when the config is not an image config, or a
 *   layer is not a filesystem layer, naming the tool to use instead
 */
export function checkContainerImage(manifest: ImageManifest, ref: string): void {
  const configType = manifest.config.mediaType ?? "";
  const odd = !IMAGE_CONFIG_TYPES.has(configType) ? `its config is ${configType}` : manifest.layers
    .map((l, i) => ({ i, type: l.mediaType ?? "" }))
    .filter((l) => !IMAGE_LAYER.test(l.type) && !GENERIC_LAYER_TYPES.has(l.type))
    .map((l) => `its layer ${l.i + 1} is ${l.type}`)[0];
  if (!odd) return;
  const known = KNOWN[configType];
  throw new SregistryError(
    `Cannot pull ${ref}: ${ref} is not a container image (${odd}${
      known ? `: ${known.what}` : ""
    }): fetch it with the tool made for it (${
      known ? known.tool(ref) : `oras pull ${ref}`
    }), or pull the image it belongs to`,
  );
}
