/**
 * planPull(): the options of one pull decided once (every default applied)
 * and frozen, so no step can change what another step reads.
 */
import { assertEquals, assertThrows } from "../_assert.ts";
import { planPull, type PullContext, type PullRequest } from "../../src/pull/plan.ts";
import { parseReference } from "../../src/reference.ts";
import type { ImageSource } from "../../src/sources/source.ts";
import type { Catalogue } from "../../src/store/catalogue.ts";

const source = { name: "docker://busybox:1" } as ImageSource;
const req: PullRequest = { ref: parseReference("busybox:1"), source };
const ctx: PullContext = { storageDir: "/store", tmpDir: "/tmp/x", jobs: 3 };

function withEpoch<T>(value: string | undefined, fn: () => T): T {
  const before = Deno.env.get("SOURCE_DATE_EPOCH");
  if (value === undefined) Deno.env.delete("SOURCE_DATE_EPOCH");
  else Deno.env.set("SOURCE_DATE_EPOCH", value);
  try {
    return fn();
  } finally {
    if (before === undefined) Deno.env.delete("SOURCE_DATE_EPOCH");
    else Deno.env.set("SOURCE_DATE_EPOCH", before);
  }
}

Deno.test("planPull() applies every default once", () => {
  const plan = withEpoch("1700000000", () => planPull(req, ctx));
  assertEquals(plan.reference, "docker.io/library/busybox:1");
  assertEquals(plan.builder, "auto");
  assertEquals([plan.compression, plan.level], ["gzip", 1]);
  assertEquals(plan.isRoot, Deno.uid() === 0);
  assertEquals(plan.deterministicTime, undefined, "not deterministic unless the context asks");
  assertEquals([plan.force, plan.sudo, plan.cmdOnly], [false, false, false]);
  assertEquals([plan.tmpDir, plan.jobs, plan.storageDir], ["/tmp/x", 3, "/store"]);
  // No catalogue: not recorded, so the image goes to the --no-cache default file, never replaced.
  assertEquals([plan.recording, plan.named], [false, "./busybox_1.sif"]);
});

Deno.test("planPull() reads SOURCE_DATE_EPOCH once, 0 when it is not whole seconds", () => {
  const deterministic = { ...ctx, deterministic: true };
  assertEquals(
    withEpoch("1700000000", () => planPull(req, deterministic)).deterministicTime,
    1.7e9,
  );
  assertEquals(withEpoch("soon", () => planPull(req, deterministic)).deterministicTime, 0);
  assertEquals(withEpoch(undefined, () => planPull(req, deterministic)).deterministicTime, 0);
  const zstd = planPull({ ...req, compression: "zstd" }, { ...ctx, isRoot: false });
  assertEquals([zstd.compression, zstd.level, zstd.isRoot], ["zstd", 3, false]);
  assertEquals(planPull({ ...req, compression: "lz4" }, ctx).level, undefined);
});

Deno.test("planPull() records only with a catalogue, without --no-cache or --sandbox", () => {
  const catalogue = {} as Catalogue;
  const recorded = planPull(req, { ...ctx, catalogue });
  assertEquals([recorded.recording, recorded.named], [true, undefined]);
  const named = planPull({ ...req, name: "/data/b.sif" }, { ...ctx, catalogue });
  assertEquals([named.recording, named.named], [true, "/data/b.sif"]);
  const noCache = planPull({ ...req, noCache: true }, { ...ctx, catalogue });
  assertEquals([noCache.recording, noCache.named], [false, "./busybox_1.sif"]);
  const sandbox = planPull({ ...req, sandbox: "/data/box" }, { ...ctx, catalogue });
  assertEquals([sandbox.recording, sandbox.named], [false, undefined]);
});

Deno.test("a pull plan is frozen: a step cannot change what the next one reads", () => {
  const plan = planPull(req, ctx);
  assertThrows(() => {
    (plan as { isRoot: boolean }).isRoot = !plan.isRoot;
  }, TypeError);
  assertEquals(plan.isRoot, Deno.uid() === 0);
});
