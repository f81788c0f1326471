import { assertEquals, assertStringIncludes, assertThrows } from "../_assert.ts";
import { SregistryError } from "../../src/errors.ts";
import {
  chooseWorkspace,
  estimateUnpacked,
  leastUnpacked,
  type WorkspaceProbe,
} from "../../src/pull/workspace.ts";

const MB = 1e6;

function probe(free: Record<string, number>, memory: number): WorkspaceProbe {
  return {
    free: (dir) => free[dir],
    availableMemory: () => memory,
    exists: (dir) => dir in free,
  };
}

Deno.test("chooseWorkspace() picks the RAM folder only when the image fits comfortably", () => {
  const cases: {
    name: string;
    free: Record<string, number>;
    memory: number;
    needed: number;
    want: string;
  }[] = [
    {
      name: "fits",
      free: { "/dev/shm": 1000 * MB, "/tmp": 5000 * MB },
      memory: 4000 * MB,
      needed: 400 * MB,
      want: "/dev/shm",
    },
    {
      name: "over half of shm",
      free: { "/dev/shm": 700 * MB, "/tmp": 5000 * MB },
      memory: 8000 * MB,
      needed: 400 * MB,
      want: "/tmp",
    },
    {
      name: "over a quarter of memory",
      free: { "/dev/shm": 9000 * MB, "/tmp": 5000 * MB },
      memory: 1000 * MB,
      needed: 400 * MB,
      want: "/tmp",
    },
    {
      name: "no shm",
      free: { "/tmp": 5000 * MB },
      memory: 8000 * MB,
      needed: 400 * MB,
      want: "/tmp",
    },
  ];
  for (const c of cases) {
    assertEquals(
      chooseWorkspace(
        { fallback: "/tmp", needed: c.needed, ram: "/dev/shm" },
        probe(c.free, c.memory),
      ),
      c.want,
      c.name,
    );
  }
});

Deno.test("chooseWorkspace() always honours SREGISTRY_TMPDIR and checks its free space", () => {
  const p = probe({ "/dev/shm": 9000 * MB, "/scratch": 500 * MB }, 64000 * MB);
  assertEquals(
    chooseWorkspace({ explicit: "/scratch", fallback: "/tmp", needed: 400 * MB }, p),
    "/scratch",
  );
  const e = assertThrows(
    () => chooseWorkspace({ explicit: "/scratch", fallback: "/tmp", needed: 600 * MB }, p),
    SregistryError,
    "no space left on device",
  );
  assertEquals(/600\.0 MB.*500\.0 MB.*set SREGISTRY_TMPDIR/.test(e.message), true, e.message);
});

Deno.test("chooseWorkspace() refuses only under the least the image needs; under the estimate it warns", () => {
  const p = probe({ "/scratch": 500 * MB }, 64000 * MB);
  const warnings: string[] = [];
  const options = {
    explicit: "/scratch",
    fallback: "/tmp",
    onWarning: (t: string) => warnings.push(t),
  };
  assertEquals(chooseWorkspace({ ...options, needed: 400 * MB, least: 100 * MB }, p), "/scratch");
  assertEquals(warnings, []);
  assertEquals(chooseWorkspace({ ...options, needed: 2000 * MB, least: 499 * MB }, p), "/scratch");
  assertEquals(warnings.length, 1);
  assertStringIncludes(
    warnings[0],
    "/scratch has 500.0 MB free and the image may need about 2.0 GB",
  );
  assertStringIncludes(
    warnings[0],
    "if the space runs out the pull stops and removes what it wrote",
  );
  const e = assertThrows(
    () =>
      chooseWorkspace({ ...options, needed: 2000 * MB, least: 501 * MB, variable: "--sandbox" }, p),
    SregistryError,
    "it needs about 501.0 MB and 500.0 MB are free",
  );
  assertStringIncludes(e.message, "give --sandbox a folder with more room");
});

Deno.test("estimateUnpacked() allows for compression and ignores unknown sizes", () => {
  assertEquals(estimateUnpacked([]), 16 * 2 ** 20);
  assertEquals(estimateUnpacked([10 * MB, -1]), 40 * MB + 16 * 2 ** 20);
  assertEquals(leastUnpacked([10 * MB, -1, 0]), 9.9 * MB);
});
