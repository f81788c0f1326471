/**
 * Leftovers of dead processes in each place sregistry writes temporary files
 * (names from `store/temp_names.ts`; the blob cache's own are in
 * blob_cache_test.ts): partial SIFs beside their final path, work folders,
 * pins. A dead process's are swept, this version's names and earlier
 * versions'; a live process's, and another host's that is not old, are kept.
 */
import { assertEquals } from "../_assert.ts";
import { BlobCache } from "../../src/store/blob_cache.ts";
import { pinnedDigests, releasePinsNow, useBlobs } from "../../src/store/blob_pins.ts";
import {
  openSandbox,
  removeTemporaryNow,
  sweepPartials,
  sweepWorkDirs,
  trackedPartial,
} from "../../src/store/work_dirs.ts";
import { HOST, ls } from "./_pull_env.ts";
import { deadPid } from "../_procs.ts";

/** A process of this host that runs for the whole test (the test runner's parent). */
const LIVE = Deno.ppid;

function touch(path: string, ageMs = 0): void {
  Deno.writeTextFileSync(path, "x");
  const when = new Date(Date.now() - ageMs);
  Deno.utimeSync(path, when, when);
}

Deno.test("sweepPartials() removes dead processes' partial SIFs (earlier names too), keeps live and other hosts' ones", async () => {
  const dir = Deno.makeTempDirSync();
  const dead = await deadPid();
  const target = `${dir}/v1@sha256:${"a".repeat(64)}.sif`;
  const name = target.slice(dir.length + 1);
  const deadNames = [
    `.${name}.${dead}@${HOST}.0.partial`,
    `.v2@sha256:${"b".repeat(64)}.sif.${dead}@${HOST}.4.partial`, // another tag's, same folder
    `.${name}.${HOST}.${dead}.partial`, // earlier versions' partial SIF
    `..${name}.${HOST}.${dead}.partial.${crypto.randomUUID()}.partial`, // and SIF assembly's file
    `.${name}.${Deno.pid}@${HOST}.999999.partial`, // our pid, not handed out: reused pid
    `.${name}.${dead}@other-node.0.partial`, // another host's, older than a day
  ];
  const ours = trackedPartial(target).slice(dir.length + 1);
  const keptNames = [
    ours,
    `.${name}.${LIVE}@${HOST}.0.partial`,
    `.${name}.${HOST}.${LIVE}.partial`,
    `.${name}.${dead}@other-node.1.partial`, // another host's, recent
    `.other.sif.${dead}@${HOST}.0.partial`, // another named file's: not this pull's to judge
    name,
  ];
  for (const n of deadNames.concat(keptNames)) touch(`${dir}/${n}`);
  touch(`${dir}/${deadNames[5]}`, 2 * 86_400_000);
  assertEquals(sweepPartials(target), deadNames.length);
  assertEquals(ls(dir).toSorted(), keptNames.toSorted());
  removeTemporaryNow();
  assertEquals(ls(dir).includes(ours), false, "an interrupt removes this process's partial");
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("sweepWorkDirs() removes dead processes' work folders (earlier names, read-only parts too), keeps live and other hosts' ones", async () => {
  const dir = Deno.makeTempDirSync();
  const dead = await deadPid();
  const deadNames = [`sregistry-work-${dead}@${HOST}-a1b2c3`, `sregistry-work-${dead}-d4e5f6`];
  const keptNames = [
    `sregistry-work-${LIVE}@${HOST}-a1b2c3`,
    `sregistry-work-${LIVE}-d4e5f6`,
    `sregistry-work-${dead}@other-node-a1b2c3`,
  ];
  for (const n of deadNames.concat(keptNames)) {
    Deno.mkdirSync(`${dir}/${n}/rootfs/usr`, { recursive: true });
  }
  Deno.chmodSync(`${dir}/${deadNames[0]}/rootfs`, 0o555);
  assertEquals(await sweepWorkDirs(dir), deadNames.length);
  assertEquals(ls(dir).toSorted(), keptNames.toSorted());
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("the next pin drops dead processes' pins, their half-written pins and old garbage; keeps live ones", async () => {
  const root = Deno.makeTempDirSync();
  const cache = new BlobCache(root);
  cache.init();
  const pins = `${root}/.pins`;
  Deno.mkdirSync(pins);
  const dead = await deadPid();
  let n = 0;
  const pin = (host: string, pid: number, digest: string, ageMs = 0) => {
    const path = `${pins}/${host}.${pid}.${n++}.json`;
    Deno.writeTextFileSync(path, JSON.stringify({ host, pid, digests: [digest] }));
    const when = new Date(Date.now() - ageMs);
    Deno.utimeSync(path, when, when);
  };
  const d = (c: string) => `sha256:${c.repeat(64)}`;
  pin(HOST, dead, d("a"));
  pin("other-node", dead, d("b"), 11 * 60_000); // not refreshed for ten minutes
  touch(`${pins}/.${HOST}.${dead}.1.json.${dead}@${HOST}.0.partial`); // killed while writing
  touch(`${pins}/garbage.json`, 11 * 60_000);
  const deadNames = ls(pins);
  pin(HOST, LIVE, d("c"));
  pin("other-node", dead, d("e"));
  touch(`${pins}/new-garbage.json`); // may be a pin being written by an older version
  const keptNames = ls(pins).filter((n) => !deadNames.includes(n));

  using ours = await useBlobs(cache, [d("f")]);
  assertEquals(ls(pins).toSorted(), [...keptNames, ours.path.slice(pins.length + 1)].toSorted());
  assertEquals([...pinnedDigests(cache)].toSorted(), [d("c"), d("e"), d("f")]);
  releasePinsNow();
  assertEquals(
    ls(pins).toSorted(),
    keptNames.toSorted(),
    "an interrupt releases this process's pins",
  );
  Deno.removeSync(root, { recursive: true });
});

Deno.test("an interrupt removes the sandbox folder a pull made, and only empties one the user made", () => {
  const dir = Deno.makeTempDirSync();
  for (const existed of [false, true]) {
    const box = `${dir}/box-${existed}`;
    if (existed) Deno.mkdirSync(box);
    openSandbox(box);
    Deno.mkdirSync(`${box}/usr/bin`, { recursive: true });
    Deno.chmodSync(`${box}/usr`, 0o555); // an image's read-only folder
  }
  const done = openSandbox(`${dir}/done`);
  done[Symbol.dispose](); // a finished pull's folder is the user's
  removeTemporaryNow();
  assertEquals(ls(dir).toSorted(), ["box-true", "done"]);
  assertEquals(ls(`${dir}/box-true`), []);
  Deno.removeSync(dir, { recursive: true });
});
