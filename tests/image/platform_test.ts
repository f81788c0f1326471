import { SregistryError } from "../../src/errors.ts";
import type { Descriptor, ImageIndex } from "../../src/image/manifest.ts";
import {
  checkImagePlatform,
  formatPlatform,
  hostPlatform,
  normalizePlatform,
  parsePlatform,
  selectManifest,
} from "../../src/image/platform.ts";
import { assertEquals, assertThrows } from "../_assert.ts";

Deno.test("parsePlatform() reads os/arch/variant and bare architectures", () => {
  assertEquals(parsePlatform("linux/arm64/v8"), {
    os: "linux",
    architecture: "arm64",
    variant: "v8",
  });
  assertEquals(parsePlatform("linux/amd64"), { os: "linux", architecture: "amd64" });
  assertEquals(parsePlatform("arm64"), { os: "linux", architecture: "arm64" });
  assertEquals(parsePlatform("x86_64"), { os: "linux", architecture: "amd64" });
  assertEquals(parsePlatform("linux/aarch64"), {
    os: "linux",
    architecture: "arm64",
    variant: "v8",
  });
  assertEquals(parsePlatform("Linux/ARM/v7"), { os: "linux", architecture: "arm", variant: "v7" });
  for (const bad of ["", "a/b/c/d", "linux/", "linux/am d64"]) {
    assertThrows(() => parsePlatform(bad), SyntaxError, "os/arch");
  }
});

Deno.test("hostPlatform() uses Go names", () => {
  const p = hostPlatform();
  const want = Deno.build.arch === "x86_64" ? "linux/amd64" : "linux/arm64/v8";
  assertEquals(formatPlatform(p), want);
});

const d = (c: string, platform?: Descriptor["platform"], annotations?: Record<string, string>) => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: "sha256:" + c.repeat(64),
  size: 1,
  ...(platform ? { platform } : {}),
  ...(annotations ? { annotations } : {}),
});
const index = (manifests: Descriptor[]): ImageIndex => ({
  kind: "index",
  mediaType: "application/vnd.oci.image.index.v1+json",
  manifests,
});
const att = { "vnd.docker.reference.type": "attestation-manifest" };

const multi = index([
  d("0", { os: "unknown", architecture: "unknown" }, att),
  d("1", { os: "linux", architecture: "amd64" }),
  d("2", { os: "linux", architecture: "arm", variant: "v6" }),
  d("3", { os: "linux", architecture: "arm", variant: "v7" }),
  d("4", { os: "linux", architecture: "arm64" }),
  d("5", { os: "unknown", architecture: "unknown" }),
]);

for (
  const [want, digit] of [
    ["linux/amd64", "1"],
    ["linux/arm/v7", "3"],
    ["linux/arm", "3"], // containerd: arm means arm/v7
    ["linux/arm64", "4"],
    ["linux/arm64/v8", "4"],
    ["arm64", "4"],
  ]
) {
  Deno.test(`selectManifest() picks ${want}`, () => {
    assertEquals(selectManifest(multi, parsePlatform(want)).digest, "sha256:" + digit.repeat(64));
  });
}

Deno.test("selectManifest() matches arm64 v8 entries when asked for plain arm64", () => {
  const i = index([d("7", { os: "linux", architecture: "arm64", variant: "v8" })]);
  assertEquals(
    selectManifest(i, { os: "linux", architecture: "arm64" }).digest,
    "sha256:" + "7".repeat(64),
  );
});

Deno.test("selectManifest() never picks attestations and lists available platforms", () => {
  const e = assertThrows(
    () => selectManifest(multi, parsePlatform("linux/s390x")),
    SregistryError,
    "the image has linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64: choose one with --platform",
  );
  assertEquals(e.message.includes("unknown"), false);
  assertThrows(
    () =>
      selectManifest(
        index([d("0", { os: "unknown", architecture: "unknown" }, att)]),
        parsePlatform("amd64"),
      ),
    SregistryError,
    "no platforms listed",
  );
  assertThrows(
    () => selectManifest(multi, parsePlatform("linux/riscv64")),
    SregistryError,
    "linux/arm64",
  );
});

Deno.test("normalizePlatform() lowers case and maps architecture aliases; empty fields give undefined", () => {
  assertEquals(normalizePlatform({ os: "linux", architecture: "amd64" }), {
    os: "linux",
    architecture: "amd64",
  });
  assertEquals(normalizePlatform({ os: "Linux", architecture: "aarch64" }), {
    os: "linux",
    architecture: "arm64",
  });
  assertEquals(normalizePlatform({ os: "linux", architecture: "ARM", variant: "V7" }), {
    os: "linux",
    architecture: "arm",
    variant: "v7",
  });
  assertEquals(normalizePlatform({ os: "linux", architecture: "" }), undefined);
  assertEquals(normalizePlatform({ os: "", architecture: "amd64" }), undefined);
});

Deno.test("checkImagePlatform(): an error when asked and different, a warning when not asked and not the host's", () => {
  const amd64 = { os: "linux", architecture: "amd64" };
  const arm64 = { os: "linux", architecture: "arm64" };
  assertEquals(checkImagePlatform("x", amd64, undefined, amd64).kind, "ok");
  assertEquals(checkImagePlatform("x", amd64, amd64, arm64).kind, "ok");
  assertEquals(checkImagePlatform("x", undefined, arm64, amd64).kind, "ok");
  assertEquals(checkImagePlatform("x", arm64, { ...arm64, variant: "v8" }, amd64).kind, "ok");
  assertEquals(checkImagePlatform("x", amd64, arm64, amd64), {
    kind: "error",
    text:
      "Cannot pull x for linux/arm64: the image is built for linux/amd64 only: pull it with --platform linux/amd64, or choose an image built for linux/arm64",
  });
  assertEquals(checkImagePlatform("x", arm64, undefined, amd64).kind, "warning");
  assertEquals(
    checkImagePlatform("x", { ...arm64, variant: "v9" }, { ...arm64, variant: "v8" }, amd64).kind,
    "error",
  );
});

const amd = (c: string, variant?: string) =>
  d(c, { os: "linux", architecture: "amd64", ...(variant ? { variant } : {}) });
const digestOf = (c: string) => "sha256:" + c.repeat(64);

Deno.test("selectManifest() takes plain amd64 before a vN listed first, whatever the CPU", () => {
  const i = index([amd("a", "v3"), amd("b", "v4"), amd("c"), amd("e", "v2")]);
  for (const level of [1, 2, 3, 4, undefined]) {
    assertEquals(
      selectManifest(i, parsePlatform("linux/amd64"), { amd64: level }).digest,
      digestOf("c"),
    );
  }
  assertEquals(
    selectManifest(index([amd("a", "v3"), amd("b", "v1")]), parsePlatform("amd64"), { amd64: 4 })
      .digest,
    digestOf("b"),
  );
});

Deno.test("selectManifest() never takes an amd64 level above the CPU's", () => {
  const i = index([amd("a", "v4"), amd("b", "v3"), amd("c", "v2")]);
  const pick = (level: number) =>
    selectManifest(i, parsePlatform("linux/amd64"), { amd64: level }).digest;
  assertEquals(pick(4), digestOf("a"));
  assertEquals(pick(3), digestOf("b"));
  assertEquals(pick(2), digestOf("c"));
  assertThrows(
    () => pick(1),
    SregistryError,
    "the image has linux/amd64/v4, linux/amd64/v3, linux/amd64/v2 only, and this CPU runs up to x86-64-v1",
  );
  // Another architecture's machine (level unknown): the lowest level.
  assertEquals(selectManifest(i, parsePlatform("linux/amd64"), {}).digest, digestOf("c"));
});

Deno.test("selectManifest() takes the variant asked, else the highest lower level", () => {
  const i = index([amd("a", "v4"), amd("b", "v2"), amd("c")]);
  const pick = (p: string) => selectManifest(i, parsePlatform(p), { amd64: 1 }).digest;
  assertEquals(pick("linux/amd64/v4"), digestOf("a"));
  assertEquals(pick("linux/amd64/v3"), digestOf("b"));
  assertEquals(pick("linux/amd64/v1"), digestOf("c"));
  const arm64 = index([
    d("1", { os: "linux", architecture: "arm64", variant: "v8.2" }),
    d("2", { os: "linux", architecture: "arm64" }),
    d("3", { os: "linux", architecture: "arm64", variant: "v9" }),
  ]);
  const arm = (p: string) => selectManifest(arm64, parsePlatform(p)).digest;
  assertEquals(arm("linux/arm64"), digestOf("2"));
  assertEquals(arm("linux/arm64/v8.2"), digestOf("1"));
  assertEquals(arm("linux/arm64/v8.4"), digestOf("1"));
  assertEquals(arm("linux/arm64/v9"), digestOf("3"));
  const arm32 = index([
    d("5", { os: "linux", architecture: "arm", variant: "v5" }),
    d("6", { os: "linux", architecture: "arm", variant: "v6" }),
  ]);
  assertEquals(selectManifest(arm32, parsePlatform("linux/arm/v7")).digest, digestOf("6"));
  assertThrows(() => selectManifest(arm32, parsePlatform("linux/arm/v5x")), SregistryError);
});
