import { assert, assertEquals, assertRejects, assertThrows } from "./_assert.ts";
import {
  ConnectionRefusedError,
  DigestMismatchError,
  isNoSpace,
  NoSpaceError,
  NotFoundError,
  RateLimitedError,
  SregistryError,
  TlsError,
  UnauthorizedError,
  UnknownHostError,
  UsageError,
} from "../src/errors.ts";
import { exitCodeFor, SIGNAL_EXIT_CODES } from "../src/cli/exit.ts";
import { runBuildTool } from "../src/builders/command.ts";
import { noSpaceIn } from "../src/pull/_no_space.ts";

/** An OS error as Deno throws it: a message and a `code`. */
function osError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

Deno.test("isNoSpace() reads ENOSPC and EDQUOT from `code` along the cause chain, not text", () => {
  assert(isNoSpace(osError("No space left on device (os error 28): write 'x'", "ENOSPC")));
  assert(isNoSpace(osError("Disk quota exceeded (os error 122)", "EDQUOT")));
  const wrapped = new SregistryError("Cannot write", {
    cause: new Error("writer failed", { cause: osError("full", "ENOSPC") }),
  });
  assert(isNoSpace(wrapped));
  assert(isNoSpace(new NoSpaceError({ tool: "mksquashfs", detail: "full" })));
  // Words alone are not a full disk: a file named "no space left" must not become one.
  assertEquals(isNoSpace(new Error("cannot open 'no space left on device.txt'")), false);
  assertEquals(isNoSpace(osError("Permission denied (os error 13)", "EACCES")), false);
});

Deno.test("a real ENOSPC from Deno carries the code isNoSpace() reads", async () => {
  // /dev/full answers every write with ENOSPC. Deno opens a device only with
  // --allow-all, which the suite does not have: write it in a child that has.
  const errors = new URL("../src/errors.ts", import.meta.url).href;
  const code = `import { isNoSpace } from ${JSON.stringify(errors)};
try { Deno.writeFileSync("/dev/full", new Uint8Array(1)); console.log("wrote"); }
catch (e) { console.log(e.code, isNoSpace(e)); }`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", "--allow-all", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(out.stdout).trim(), "ENOSPC true");
});

Deno.test("noSpaceIn() names the folder and setting; a tool's full disk names the work folder", async () => {
  const e = assertThrows(
    () =>
      noSpaceIn("/store", "--dir", () => {
        // What Deno throws on a full disk (the test above checks the shape on /dev/full).
        throw osError("No space left on device (os error 28): write '/store/x'", "ENOSPC");
      }),
    NoSpaceError,
    "Cannot write to /store: no space left on device (or quota exceeded): free space there or give --dir a folder with more room",
  );
  assertEquals([e.path, e.variable], ["/store", "--dir"]);
  const tool = await assertRejects(
    () =>
      noSpaceIn("/store", "--dir", () =>
        runBuildTool("mksquashfs", [], {
          install: "squashfs-tools",
          run: () => Promise.resolve({ code: 1, stderr: "FATAL ERROR: No space left on device\n" }),
        }), { tmpDir: "/work" }),
    NoSpaceError,
    "Cannot write to /work: no space left on device",
  );
  assertEquals([tool.path, tool.variable], ["/work", "SREGISTRY_TMPDIR"]);
  assertEquals((tool.cause as NoSpaceError).tool, "mksquashfs");
  // Already named (the blob cache's own message): passed on unchanged.
  const named = new NoSpaceError({
    action: "store x in the blob cache /c",
    path: "/c",
    variable: "APPTAINER_CACHEDIR",
  });
  assertEquals(
    assertThrows(() =>
      noSpaceIn("/store", "--dir", () => {
        throw named;
      })
    ),
    named,
  );
  // Any other failure passes unchanged.
  const other = osError("Permission denied", "EACCES");
  assertEquals(
    assertThrows(() =>
      noSpaceIn("/store", "--dir", () => {
        throw other;
      })
    ),
    other,
  );
});

Deno.test("runBuildTool() keeps a tool's other failures plain SregistryErrors", async () => {
  const e = await assertRejects(
    () =>
      runBuildTool("mksquashfs", [], {
        install: "squashfs-tools",
        run: () => Promise.resolve({ code: 1, stderr: "FATAL ERROR: bad option\n" }),
      }),
    SregistryError,
    "mksquashfs failed: FATAL ERROR: bad option",
  );
  assertEquals(e instanceof NoSpaceError, false);
  // Not a full disk, so not "check free space" (mksquashfs's "Out of uids!" said so).
  const uids = await assertRejects(
    () =>
      runBuildTool("mksquashfs", [], {
        install: "squashfs-tools",
        run: () => Promise.resolve({ code: 1, stderr: "FATAL ERROR: Out of uids!\n" }),
      }),
    SregistryError,
    "mksquashfs failed: FATAL ERROR: Out of uids!: see mksquashfs's output above; the native builder",
  );
  assertEquals(uids.message.includes("free space"), false);
});

Deno.test("exitCodeFor(): usage errors 2, every typed failure 1; signals 130 and 143", () => {
  const facts = { host: "r.test", url: "https://r.test/v2/" };
  const answer = { status: 404, method: "GET", url: "https://r.test/v2/" };
  const cases: [unknown, number][] = [
    [new UsageError("bad option"), 2],
    [new NoSpaceError(), 1],
    [new UnknownHostError(facts), 1],
    [new ConnectionRefusedError(facts), 1],
    [new TlsError({ ...facts, certificate: true, detail: "UnknownIssuer" }), 1],
    [new NotFoundError(answer), 1],
    [new UnauthorizedError({ ...answer, status: 401 }), 1],
    [new RateLimitedError({ ...answer, status: 429 }), 1],
    [new DigestMismatchError({ expected: "sha256:a", actual: "sha256:b", what: "blob" }), 1],
    [new Error("anything else"), 1],
  ];
  for (const [error, code] of cases) assertEquals(exitCodeFor(error), code, String(error));
  assertEquals(SIGNAL_EXIT_CODES, { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 });
});
