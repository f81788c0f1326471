/**
 * `mv` and `add` across file systems (a tmpfs mount stands in for a second
 * file system) interrupted by SIGINT, SIGTERM or SIGKILL while they copy:
 * the record always names a complete file that exists, an interrupt removes
 * its partial copy, and the next command writing there sweeps a dead
 * process's. Real `sregistry` children; needs root (mount).
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { type CliHome, cliHome, runOk } from "../_cli.ts";
import { Catalogue } from "../../src/store/catalogue.ts";
import { type HomePaths, homePaths } from "./_pull_env.ts";
import { spawnCli, waitFor } from "./_spawn.ts";

const root = Deno.uid() === 0;
const SIZE = 256 * 1024 * 1024;

/** A file with a SIF header's magic, `SIZE` bytes long (sparse: quick to make). */
function bigSif(path: string, seed: string): void {
  const head = new TextEncoder().encode(`#!/usr/bin/env run-singularity\n\0SIF_MAGIC\0${seed}\n`);
  Deno.writeFileSync(path, head);
  Deno.truncateSync(path, SIZE);
}

/** Every file under `dir` (relative paths), hidden ones too. */
function walk(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isDirectory) out.push(...walk(`${dir}/${e.name}`, `${prefix}${e.name}/`));
      else out.push(`${prefix}${e.name}`);
    }
  } catch { /* none */ }
  return out.sort();
}

const partials = (dir: string) => walk(dir).filter((n) => n.endsWith(".partial"));

/** Runs `fn` in a test HOME with a tmpfs mounted at `<home>/x` (another file system). */
async function withOtherFs(
  fn: (home: CliHome, p: HomePaths, x: string) => Promise<void>,
): Promise<void> {
  await using home = await cliHome();
  const dir = `${home.home}/x`;
  Deno.mkdirSync(dir, { recursive: true });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=600m", "tmpfs", dir],
  }).output();
  assert(mount.success, new TextDecoder().decode(mount.stderr));
  try {
    await fn(home, homePaths(home.home), dir);
  } finally {
    await new Deno.Command("umount", { args: [dir] }).output();
  }
}

/** Interrupts the child once `found()` sees its partial copy; returns its exit code and stderr. */
async function interrupt(
  child: Deno.ChildProcess,
  signal: Deno.Signal,
  found: () => true | undefined,
): Promise<{ code: number; stderr: string }> {
  await waitFor(child, found, "the partial copy appeared");
  // Stopped first, so the signal lands while the copy is under way.
  if (signal !== "SIGKILL") child.kill("SIGSTOP");
  child.kill(signal);
  if (signal !== "SIGKILL") child.kill("SIGCONT");
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
    child.stdout.cancel(),
  ]);
  return { code: status.code, stderr };
}

/** The one record names a complete file that exists. */
function checkRecord(db: string, expected: string): void {
  using cat = Catalogue.open(db, { readOnly: true });
  const records = cat.all();
  assertEquals(records.map((r) => r.image), [expected]);
  assertEquals(Deno.statSync(expected).size, SIZE, "the recorded file is not complete");
}

for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
  Deno.test({
    name: `mv to another file system interrupted by ${signal} during the copy keeps the record ` +
      `and its file; the rerun works and leaves no partial file`,
    ignore: !root,
    fn: () =>
      withOtherFs(async (home, p, x) => {
        bigSif(`${home.home}/user.sif`, "mv");
        const stored = (await runOk(home, ["add", `${home.home}/user.sif`, "--name", "user/img:1"]))
          .trim();
        const child = spawnCli(["mv", "1", `${x}/`], home.env);
        const { code, stderr } = await interrupt(
          child,
          signal,
          () => partials(x).length > 0 || undefined,
        );
        assertEquals(code, { SIGINT: 130, SIGTERM: 143, SIGKILL: 137 }[signal], stderr);
        if (signal !== "SIGKILL") {
          assertStringIncludes(stderr, `Interrupted (${signal}): the move of 1 stopped`);
          assertEquals(walk(x), [], "the partial copy was left");
        }
        checkRecord(p.db, stored);

        const moved = (await runOk(home, ["mv", "1", `${x}/`])).trim();
        assertEquals(walk(x), [moved.slice(x.length + 1)], "a dead process's partial was left");
        checkRecord(p.db, moved);
        assertEquals(walk(p.storage).filter((n) => n.endsWith(".sif")), []);
      }),
  });

  Deno.test({
    name: `add --force of a file on another file system interrupted by ${signal} records ` +
      `nothing and leaves the file; the rerun works and leaves no partial file`,
    ignore: !root,
    fn: () =>
      withOtherFs(async (home, p, x) => {
        const user = `${x}/user.sif`;
        bigSif(user, "add");
        const args = ["add", "--force", user, "--name", "user/img:3"];
        const child = spawnCli(args, home.env);
        const { code, stderr } = await interrupt(
          child,
          signal,
          () => partials(p.storage).length > 0 || undefined,
        );
        assertEquals(code, { SIGINT: 130, SIGTERM: 143, SIGKILL: 137 }[signal], stderr);
        if (signal !== "SIGKILL") assertEquals(partials(p.storage), [], "partial copy left");
        assertEquals(Deno.statSync(user).size, SIZE, "the user's file was lost");
        {
          using cat = Catalogue.open(p.db);
          assertEquals(cat.all(), []);
        }

        const added = (await runOk(home, args)).trim();
        assertEquals(partials(p.storage), [], "a dead process's partial was left");
        checkRecord(p.db, added);
        assertEquals(walk(x), [], "the moved file is still in its old place");
      }),
  });
}

Deno.test({
  name: "rename of an image on another file system interrupted by SIGINT during the copy back " +
    "into storage keeps the record and its file, and leaves no partial file",
  ignore: !root,
  fn: () =>
    withOtherFs(async (home, p, x) => {
      bigSif(`${home.home}/user.sif`, "rename");
      await runOk(home, ["add", `${home.home}/user.sif`, "--name", "user/img:1"]);
      const moved = (await runOk(home, ["mv", "1", `${x}/`])).trim();
      const child = spawnCli(["rename", "1", "user/other:2"], home.env);
      const { code, stderr } = await interrupt(
        child,
        "SIGINT",
        () => partials(p.storage).length > 0 || undefined,
      );
      assertEquals(code, 130, stderr);
      assertStringIncludes(stderr, "Interrupted (SIGINT): the rename of 1 stopped");
      assertEquals(partials(p.storage), [], "the partial copy was left");
      checkRecord(p.db, moved);
    }),
});
