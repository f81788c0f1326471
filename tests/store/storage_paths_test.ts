import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  defaultNoCacheName,
  storageFile,
  storageNames,
  type StorageParts,
} from "../../src/store/storage_paths.ts";

const D = `sha256:${"ab".repeat(32)}`;

/** `fn` throws a RangeError (whose message includes `includes`); `label` names the case. */
function refuses(fn: () => unknown, label: string, includes = "Cannot build a storage path") {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert(error instanceof RangeError, `${JSON.stringify(label)}: expected a RangeError`);
  assert(error.message.includes(includes), `${JSON.stringify(label)}: ${error.message}`);
}

Deno.test("storageNames() splits references like Docker and the original client", () => {
  const cases = [
    {
      name: "Docker Hub official image gets library/",
      ref: { domain: "docker.io", path: "busybox" },
      want: { registry: "docker.io", collection: "library", name: "busybox", tag: "latest" },
    },
    {
      name: "Hub host aliases are docker.io",
      ref: { domain: "index.docker.io", path: "library/busybox", tag: "1.36" },
      want: { registry: "docker.io", collection: "library", name: "busybox", tag: "1.36" },
    },
    {
      name: "multi-component path: collection is all but the last",
      ref: { domain: "ghcr.io", path: "a/b/c", tag: "1" },
      want: { registry: "ghcr.io", collection: "a/b", name: "c", tag: "1" },
    },
    {
      name: "one component on another registry: empty collection, no library/",
      ref: { domain: "127.0.0.1:5000", path: "busybox" },
      want: { registry: "127.0.0.1:5000", collection: "", name: "busybox", tag: "latest" },
    },
    {
      // Not `latest`: the registry may have no such tag, or another image under it.
      name: "a digest-only reference is named by its digest",
      ref: { domain: "docker.io", path: "library/busybox", digest: D },
      want: {
        registry: "docker.io",
        collection: "library",
        name: "busybox",
        tag: D.replace(":", "-"),
      },
    },
    {
      name: "tag and digest: the digest wins (Docker's ParseDockerRef), the tag is ignored",
      ref: { domain: "docker.io", path: "library/busybox", tag: "base", digest: D },
      want: {
        registry: "docker.io",
        collection: "library",
        name: "busybox",
        tag: D.replace(":", "-"),
      },
    },
    {
      name: "case-sensitive tag is kept",
      ref: { domain: "docker.io", path: "nginx", tag: "1.19-Alpine" },
      want: { registry: "docker.io", collection: "library", name: "nginx", tag: "1.19-Alpine" },
    },
    {
      name: "IPv6 registry with port",
      ref: { domain: "[::1]:5000", path: "x/y" },
      want: { registry: "[::1]:5000", collection: "x", name: "y", tag: "latest" },
    },
  ];
  for (const c of cases) assertEquals(storageNames(c.ref), c.want, c.name);
});

Deno.test("storageFile() builds the layout with a registry folder only off Docker Hub", () => {
  const cases: { name: string; parts: StorageParts; want: string }[] = [
    {
      name: "Docker Hub",
      parts: {
        registry: "docker.io",
        collection: "library",
        name: "busybox",
        tag: "latest",
        digest: D,
      },
      want: `/s/library/busybox/latest@${D}.sif`,
    },
    {
      name: "ghcr.io nested collection",
      parts: { registry: "ghcr.io", collection: "a/b", name: "c", tag: "1", digest: D },
      want: `/s/ghcr.io/a/b/c/1@${D}.sif`,
    },
    {
      name: "host:port registry, empty collection",
      parts: { registry: "127.0.0.1:5000", collection: "", name: "busybox", tag: "v1", digest: D },
      want: `/s/127.0.0.1:5000/busybox/v1@${D}.sif`,
    },
    {
      name: "no digest",
      parts: { registry: "docker.io", collection: "library", name: "busybox", tag: "latest" },
      want: "/s/library/busybox/latest.sif",
    },
  ];
  for (const c of cases) assertEquals(storageFile("/s/", c.parts), c.want, c.name);
  assertEquals(storageFile("/", cases[0].parts), `/library/busybox/latest@${D}.sif`);
});

const hostileNames = [
  { name: "dot-dot collection", domain: "docker.io", path: "../../etc/passwd" },
  { name: "dot-dot name", domain: "ghcr.io", path: "a/.." },
  { name: "dot component", domain: "ghcr.io", path: "a/./b" },
  { name: "empty component", domain: "ghcr.io", path: "a//b" },
  { name: "absolute path", domain: "ghcr.io", path: "/etc/passwd" },
  { name: "trailing slash", domain: "ghcr.io", path: "a/b/" },
  { name: "NUL", domain: "ghcr.io", path: "a/b\0c" },
  { name: "backslash", domain: "ghcr.io", path: "a\\..\\b" },
  { name: "newline", domain: "ghcr.io", path: "a/b\nc" },
  { name: "uppercase", domain: "ghcr.io", path: "A/b" },
  { name: "registry dot-dot", domain: "..", path: "a/b" },
  { name: "registry with slash", domain: "a.io/..", path: "b" },
  { name: "registry with NUL", domain: "a.io\0", path: "b" },
  { name: "registry leading dot", domain: ".a.io", path: "b" },
  { name: "registry that looks like a collection", domain: "library", path: "b" },
  { name: "Hub namespace that looks like a registry", domain: "docker.io", path: "ghcr.io/x" },
  { name: "Hub namespace localhost", domain: "docker.io", path: "localhost/x" },
];

Deno.test("storageNames() refuses components that could escape or alias", () => {
  for (const c of hostileNames) {
    refuses(() => storageNames(c), c.name, "Cannot build a storage path");
  }
  const tags = ["..", ".", "a/b", "../x", "-x", "a\0", "", "x".repeat(129), "a@b"];
  for (const tag of tags) {
    refuses(() => storageNames({ domain: "docker.io", path: "busybox", tag }), tag, "tag");
  }
  for (const digest of ["sha256:../../x", "sha256/abc", "../x", "sha256:", "sha256:a\0"]) {
    refuses(() => storageNames({ domain: "docker.io", path: "busybox", digest }), digest, "digest");
  }
});

Deno.test("storageFile() revalidates parts so no path leaves the root", () => {
  const ok: StorageParts = {
    registry: "docker.io",
    collection: "library",
    name: "busybox",
    tag: "latest",
    digest: D,
  };
  const bad: [string, Partial<StorageParts>][] = [
    ["collection ..", { collection: ".." }],
    ["collection a/../..", { collection: "a/../.." }],
    ["name with slash", { name: "a/b" }],
    ["name ..", { name: ".." }],
    ["tag with slash", { tag: "../../x" }],
    ["digest with slash", { digest: "sha256:/../../x" }],
    ["registry ..", { registry: ".." }],
    ["registry with slash", { registry: "a.io/../.." }],
    ["empty Hub collection", { collection: "" }],
  ];
  for (const [name, patch] of bad) {
    refuses(() => storageFile("/s", { ...ok, ...patch }), name);
  }
  assertThrows(() => storageFile("", ok), RangeError);
  for (const c of hostileNames) {
    let path: string | undefined;
    try {
      path = storageFile("/s", { ...storageNames(c), digest: D });
    } catch (error) {
      assert(error instanceof RangeError, c.name);
    }
    assertEquals(path, undefined, c.name);
  }
});

Deno.test("defaultNoCacheName() is ./<image>_<tag>.sif and refuses path tricks", () => {
  assertEquals(defaultNoCacheName("busybox", "latest"), "./busybox_latest.sif");
  assertEquals(defaultNoCacheName("my-app", "1.0_rc"), "./my-app_1.0_rc.sif");
  for (const [name, tag] of [["..", "x"], ["a/b", "x"], ["a", "../x"], ["a", "x/y"]]) {
    assertThrows(() => defaultNoCacheName(name, tag), RangeError);
  }
});
