import {
  DigestVerifier,
  isDigest,
  parseDigest,
  sha256Digest,
  verifyingStream,
} from "../src/digest.ts";
import { DigestMismatchError } from "../src/errors.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "./_assert.ts";

const HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Deno.test("parseDigest() splits a sha256 digest", () => {
  assertEquals(parseDigest(`sha256:${HEX}`), { algorithm: "sha256", hex: HEX });
});

for (
  const [name, input, includes] of [
    ["no colon", HEX, "invalid digest format"],
    ["empty hex", "sha256:", "invalid digest format"],
    ["empty algorithm", `:${HEX}`, "invalid digest format"],
    ["short hex", "sha256:abc", "invalid checksum digest length"],
    ["long hex", `sha256:${HEX}0`, "invalid checksum digest length"],
    ["upper-case hex", `sha256:${HEX.toUpperCase()}`, "invalid checksum digest format"],
    ["non-hex", `sha256:${"g".repeat(64)}`, "invalid checksum digest format"],
    ["sha512", `sha512:${"a".repeat(128)}`, "unsupported digest algorithm"],
    ["garbage algorithm", `sha 256:${HEX}`, "invalid digest format"],
  ] as const
) {
  Deno.test(`parseDigest() rejects ${name}`, () => {
    assertThrows(() => parseDigest(input), SyntaxError, includes);
    assertEquals(isDigest(input), false);
  });
}

Deno.test("sha256Digest() hashes bytes", () => {
  assertEquals(sha256Digest(new Uint8Array()), `sha256:${HEX}`);
});

const data = new TextEncoder().encode("hello world");
const good = sha256Digest(data);

Deno.test("DigestVerifier verify() accepts the right content in chunks", () => {
  const v = new DigestVerifier(good, data.length);
  v.update(data.subarray(0, 3));
  v.update(data.subarray(3));
  assertEquals(v.bytes, data.length);
  v.verify();
});

Deno.test("DigestVerifier verify() rejects right size, wrong content", () => {
  const v = new DigestVerifier(good, data.length, "layer X");
  v.update(new TextEncoder().encode("hello World"));
  const e = assertThrows(() => v.verify(), DigestMismatchError, "Cannot verify layer X");
  assertEquals(e.expected, good);
});

Deno.test("DigestVerifier verify() rejects a short body by size", () => {
  const v = new DigestVerifier(good, data.length);
  v.update(data.subarray(0, 5));
  assertThrows(() => v.verify(), DigestMismatchError, "got 5 bytes");
});

Deno.test("DigestVerifier update() fails as soon as the body is too long", () => {
  const v = new DigestVerifier(good, 4);
  assertThrows(() => v.update(data), DigestMismatchError, "at least 11 bytes");
});

Deno.test("DigestVerifier without size checks only the digest", () => {
  const v = new DigestVerifier(good);
  v.update(data);
  v.verify();
});

Deno.test("DigestVerifier constructor rejects bad arguments", () => {
  assertThrows(() => new DigestVerifier("sha256:x"), SyntaxError);
  assertThrows(() => new DigestVerifier(good, -1), RangeError);
});

Deno.test("DigestVerifier.resume() continues after a kept prefix", async () => {
  const prefix = new Blob([data.subarray(0, 6)]).stream();
  const v = await DigestVerifier.resume(good, prefix, { expectedSize: data.length });
  assertEquals(v.bytes, 6);
  v.update(data.subarray(6));
  v.verify();
  const bad = await DigestVerifier.resume(good, new Blob(["HELLO "]).stream());
  bad.update(data.subarray(6));
  assertThrows(() => bad.verify(), DigestMismatchError);
  await assertRejects(
    () => DigestVerifier.resume(good, new Blob([data, data]).stream(), { expectedSize: 11 }),
    DigestMismatchError,
  );
  assert(true);
});

Deno.test("verifyingStream() passes the bytes through and resolves verified at the end", async () => {
  const { stream, verified } = verifyingStream(new Blob([data]).stream(), good, {
    size: data.length,
  });
  assertEquals(new Uint8Array(await new Response(stream).arrayBuffer()), data);
  await verified;
});

Deno.test("verifyingStream() errors the stream and rejects verified on other content", async () => {
  const other = new TextEncoder().encode("hello World");
  const { stream, verified } = verifyingStream(new Blob([other]).stream(), good, {
    what: "layer 1 (diff ID)",
    fault: "config",
  });
  await assertRejects(() => new Response(stream).arrayBuffer(), DigestMismatchError);
  const e = await assertRejects(() => verified, DigestMismatchError);
  assert(e.message.startsWith("Cannot verify layer 1 (diff ID): expected"), e.message);
  assert(
    e.message.endsWith(
      ": the image's config does not describe its layers: ask its publisher to rebuild it",
    ),
    e.message,
  );
  assertEquals(e.fault, "config");
});

Deno.test("verifyingStream() still settles when the reader stops early: the rest is drained and hashed", async () => {
  const other = new TextEncoder().encode("hello world, and bytes a tar reader never reads");
  for (const [content, ok] of [[data, true], [other, false]] as const) {
    const { stream, verified } = verifyingStream(new Blob([content]).stream(), good);
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel();
    if (ok) await verified;
    else await assertRejects(() => verified, DigestMismatchError);
  }
});

Deno.test("verifyingStream() with drain false rejects verified when the reader stops early", async () => {
  const { stream, verified } = verifyingStream(new Blob([data]).stream(), good, { drain: false });
  await stream.cancel();
  await assertRejects(() => verified, Error, "not read to its end");
});
