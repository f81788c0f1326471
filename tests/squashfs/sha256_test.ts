import { assertEquals } from "../_assert.ts";
import { createHash } from "node:crypto";
import { Sha256 } from "../../src/squashfs/sha256.ts";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("Sha256 gives node:crypto's digest for every length around the 64-byte block and pad edges", () => {
  const state = new Sha256();
  const next = rng(5);
  const data = Uint8Array.from({ length: 4200 }, () => Math.floor(next() * 256));
  for (let length = 0; length <= 4200; length += length < 300 ? 1 : 97) {
    const message = data.subarray(0, length);
    const out = state.reset().update(message).digestInto(new Uint8Array(32));
    assertEquals(hex(out), createHash("sha256").update(message).digest("hex"), `length ${length}`);
  }
});

Deno.test("Sha256 gives the same digest whatever the pieces the message comes in", () => {
  const state = new Sha256();
  const next = rng(9);
  for (let round = 0; round < 200; round++) {
    const message = Uint8Array.from(
      { length: Math.floor(next() * 3000) },
      () => Math.floor(next() * 256),
    );
    state.reset();
    for (let at = 0; at < message.length;) {
      const n = Math.min(message.length - at, Math.floor(next() * 150));
      state.update(message.subarray(at, at + n));
      at += n;
    }
    const out = state.digestInto(new Uint8Array(32));
    assertEquals(hex(out), createHash("sha256").update(message).digest("hex"), `round ${round}`);
  }
});

Deno.test("Sha256 of the FIPS 180-4 examples", () => {
  const text = (s: string) => new TextEncoder().encode(s);
  const digest = (s: string) => hex(new Sha256().update(text(s)).digestInto(new Uint8Array(32)));
  assertEquals(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assertEquals(
    digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});
