import { hostname } from "node:os";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import {
  acquireLock,
  describeWait,
  lockIsStale,
  type LockOwner,
  releaseLocksNow,
  removeStaleLock,
} from "../../src/store/locks.ts";
import { deadPid, runScript, sleep } from "../_procs.ts";

function writeLock(path: string, owner: LockOwner, ageMs = 0): void {
  Deno.writeTextFileSync(path, JSON.stringify(owner));
  const t = new Date(Date.now() - ageMs);
  Deno.utimeSync(path, t, t);
}

function owner(path: string): LockOwner {
  return JSON.parse(Deno.readTextFileSync(path));
}

Deno.test("acquireLock() takes over a lock whose owner is a dead process on this host", async () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/blob.lock`;
  writeLock(path, { host: hostname(), pid: await deadPid(), since: new Date().toISOString() });
  const started = Date.now();
  const lock = await acquireLock(path, { staleMs: 600_000, signal: AbortSignal.timeout(5000) });
  assert(Date.now() - started < 2000, "took over at once, without waiting for staleMs");
  assertEquals(owner(path).pid, Deno.pid);
  lock.release();
  assertEquals([...Deno.readDirSync(dir)], [], "lock and takeover guard are gone");
  Deno.removeSync(dir);
});

Deno.test("acquireLock() takes over a lock of another host whose mtime is older than staleMs", async () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/blob.lock`;
  // pid 1 is alive here: only the age may decide for a lock of another host.
  writeLock(path, { host: "other-node.cluster", pid: 1, since: "2020-01-01T00:00:00Z" }, 3_600_000);
  const lock = await acquireLock(path, { staleMs: 60_000, signal: AbortSignal.timeout(5000) });
  assertEquals(owner(path).host, hostname());
  lock.release();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("acquireLock() waits for a fresh lock of another host and of a live process here", async () => {
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    for (
      const held of [{ host: "other-node.cluster", pid: await deadPid() }, {
        host: hostname(),
        pid: sleeper.pid,
      }]
    ) {
      const dir = Deno.makeTempDirSync();
      const path = `${dir}/blob.lock`;
      writeLock(path, { ...held, since: new Date().toISOString() });
      let told: LockOwner | undefined;
      await assertRejects(() =>
        acquireLock(path, {
          staleMs: 60_000,
          pollMs: 20,
          signal: AbortSignal.timeout(400),
          onWait: (o) => told = o,
        })
      );
      assertEquals(told?.pid, held.pid, "onWait names the owner");
      assertEquals(owner(path).pid, held.pid, "the lock is untouched");
      assertEquals(lockIsStale(path, 60_000), false);
      assertEquals(removeStaleLock(path, 60_000), false);
      Deno.removeSync(dir, { recursive: true });
    }
  } finally {
    sleeper.kill("SIGKILL");
    await sleeper.status;
  }
});

Deno.test("acquireLock() heartbeat keeps a held lock from going stale", async () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/blob.lock`;
  const lock = await acquireLock(path, { staleMs: 1500 });
  const old = new Date(Date.now() - 3_600_000);
  Deno.utimeSync(path, old, old);
  await sleep(1300);
  const age = Date.now() - Deno.statSync(path).mtime!.getTime();
  assert(age < 1500, `mtime refreshed (age ${age} ms)`);
  lock.release();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("acquireLock() across processes: a stale lock is taken over by one waiter at a time", async () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/blob.lock`;
  const log = `${dir}/log`;
  writeLock(path, { host: hostname(), pid: await deadPid(), since: new Date().toISOString() });
  const worker = new URL("./_lock_worker.ts", import.meta.url);
  const results = await Promise.all(
    Array.from({ length: 6 }, () => runScript(worker, [path, log, "60"])),
  );
  for (const r of results) assertEquals(r.code, 0, r.stderr);
  const events = Deno.readTextFileSync(log).trim().split("\n").map((l) => l.split(" "));
  assertEquals(events.length, 12);
  // Critical sections never overlap: the log alternates enter/leave of one pid.
  for (let i = 0; i < events.length; i += 2) {
    assertEquals([events[i][0], events[i + 1][0]], ["enter", "leave"], Deno.readTextFileSync(log));
    assertEquals(events[i][1], events[i + 1][1]);
  }
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["log"]);
  Deno.removeSync(dir, { recursive: true });
});

const GARBAGE: Record<string, string> = {
  "empty": "",
  "not JSON": "\u0000\u0001garbage",
  "JSON null": "null",
  "JSON list": "[1, 2]",
  "an owner without a pid": JSON.stringify({ host: hostname(), since: "2026-01-01T00:00:00Z" }),
  "a pid that is not a number": JSON.stringify({ host: hostname(), pid: "12", since: "x" }),
};

for (const [kind, text] of Object.entries(GARBAGE)) {
  Deno.test(`acquireLock() takes over a fresh lock file that is ${kind}, saying so`, async () => {
    const dir = Deno.makeTempDirSync();
    const path = `${dir}/blob.lock`;
    Deno.writeTextFileSync(path, text);
    const told: string[] = [];
    const lock = await acquireLock(path, {
      pollMs: 20,
      signal: AbortSignal.timeout(10_000), // the default staleMs would wait 10 minutes
      onWait: (o, wait) => {
        assertEquals(o, undefined);
        told.push(describeWait(wait));
      },
    });
    assertEquals(owner(path).pid, Deno.pid);
    assert(told.length > 0, "the waiter is told");
    assert(told[0].includes(`the lock ${path} is empty or unreadable`), told[0]);
    assert(told[0].includes("taking it over"), told[0]);
    lock.release();
    Deno.removeSync(dir, { recursive: true });
  });
}

Deno.test("acquireLock() says who holds a lock and for how long it waits, again every reportMs", async () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/blob.lock`;
  const since = new Date().toISOString();
  writeLock(path, { host: "other-node.cluster", pid: 4242, since });
  const told: string[] = [];
  await assertRejects(() =>
    acquireLock(path, {
      staleMs: 600_000,
      pollMs: 10,
      reportMs: 100,
      signal: AbortSignal.timeout(700),
      onWait: (_, wait) => told.push(describeWait(wait)),
    })
  );
  assert(told.length >= 3, `periodic lines: ${told.length}`);
  assert(
    told[0].startsWith(
      `the lock ${path} is held by pid 4242 on host other-node.cluster since ${since}: waiting for it, at most 600 s more`,
    ),
    told[0],
  );
  assert(/waited \d+ s so far|at most \d+ s more/.test(told.at(-1)!), told.at(-1));
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("acquireLock() under contention: a lock released between two looks is taken, not called empty or unreadable", async () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/blob.lock`;
  const worker = new URL("./_lock_contender.ts", import.meta.url);
  const results = await Promise.all(
    Array.from({ length: 4 }, () => runScript(worker, [path, "200"])),
  );
  for (const r of results) assertEquals(r.code, 0, r.stderr);
  const lines = results.flatMap((r) => r.stderr.split("\n")).filter((l) => l !== "");
  assert(lines.length > 0, "the contenders waited for each other");
  const wrong = lines.filter((l) => !l.includes(" is held by pid "));
  assertEquals(wrong, [], `${wrong.length} of ${lines.length} lines`);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), []);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("releaseLocksNow() removes every lock this process holds, at once; release() after it is a no-op", async () => {
  const dir = Deno.makeTempDirSync();
  const a = await acquireLock(`${dir}/a.lock`);
  const b = await acquireLock(`${dir}/b.lock`);
  releaseLocksNow();
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), []);
  // Another owner's lock at the same path is not removed by a late release().
  const other = await acquireLock(`${dir}/a.lock`);
  a.release();
  b.release();
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["a.lock"]);
  other.release();
  Deno.removeSync(dir, { recursive: true });
});
