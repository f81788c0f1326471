import { assertEquals } from "../_assert.ts";
import { amd64LevelOf, hostAmd64Level, variantLevel } from "../../src/image/cpu_level.ts";

const V2 = ["cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"];
const V3 = ["avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"];
const V4 = ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"];

Deno.test("amd64LevelOf() reads the x86-64 levels from cpuinfo flags", () => {
  assertEquals(amd64LevelOf(["fpu", "sse", "sse2"]), 1);
  assertEquals(amd64LevelOf(V2), 2);
  assertEquals(amd64LevelOf([...V2, ...V3]), 3);
  assertEquals(amd64LevelOf([...V2, ...V3, ...V4]), 4);
  // A level needs every flag of the levels below (AVX-512 without AVX2 is v2).
  assertEquals(amd64LevelOf([...V2, ...V4]), 2);
  assertEquals(amd64LevelOf([...V2, ...V3.filter((f) => f !== "avx2")]), 2);
});

Deno.test("variantLevel() orders amd64, arm64 and arm variants", () => {
  assertEquals(variantLevel("amd64"), 1);
  assertEquals(variantLevel("amd64", "v3"), 3);
  assertEquals(variantLevel("amd64", "v5"), undefined);
  assertEquals(variantLevel("arm64"), 8);
  assertEquals(variantLevel("arm64", "v8.2"), 8.2);
  assertEquals(variantLevel("arm64", "v9"), 9);
  assertEquals(variantLevel("arm", "v7"), 7);
  assertEquals(variantLevel("arm"), undefined);
  assertEquals(variantLevel("s390x"), undefined);
});

Deno.test("hostAmd64Level() is 1 to 4 on x86-64 Linux where /proc/cpuinfo may be read, else unknown", () => {
  const level = hostAmd64Level();
  let readable = true;
  try {
    Deno.readTextFileSync("/proc/cpuinfo"); // Deno allows it only with --allow-all
  } catch {
    readable = false;
  }
  if (Deno.build.arch === "x86_64" && Deno.build.os === "linux" && readable) {
    assertEquals([1, 2, 3, 4].includes(level!), true);
  } else assertEquals(level, undefined);
});
