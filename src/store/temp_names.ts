/**
 * The one owner of the names sregistry gives its temporary files and work
 * folders, and of reading them back: every name carries the owner's pid and
 * host, so a sweep can tell a leftover of a dead process on this host (removed
 * at once) from a file a running pull still writes (kept).
 *
 * - Partial files, beside the file they become:
 *   `.<name>.<pid>@<host>.<n>.partial` (hidden; `n` counts this process's names).
 *   Earlier versions wrote `<name>.<host>.<pid>.<n>.partial` (blob cache, atomic
 *   writes, lock owners), `.<name>.<host>.<pid>.partial` (partial SIFs) and
 *   `..<name>.<host>.<pid>.partial.<uuid>.partial` (the SIF assembly's own file);
 *   {@linkcode parsePartialName} still reads those of this host.
 * - Work folders under SREGISTRY_TMPDIR: `sregistry-work-<pid>@<host>-<random>`
 *   (earlier: `sregistry-work-<pid>-<random>`, taken as this host's).
 * @module
 */
import { hostname } from "node:os";

/** This host's name, as written in temporary names. */
export const HOST = hostname();

/** What a temporary name tells about its owner. */
export interface TempOwner {
  /** The process that wrote it. */
  pid: number;
  /** Its host; undefined for legacy work folders (taken as this host's). */
  host?: string;
}

/** A partial file's name, read back. */
export interface PartialName extends TempOwner {
  /** The name of the file it becomes (without folder). */
  target: string;
}

const WORK_PREFIX = "sregistry-work-";
let counter = 0;
/** The names {@linkcode partialPath} handed out in this process. */
const issued = new Set<string>();

/**
 * A fresh partial-file name beside `path`: `<dir>/.<name>.<pid>@<host>.<n>.partial`,
 * unique on this host while this process lives. A leftover under that name
 * (a dead process's that had this pid) is removed first, so the caller may
 * create it with `createNew`.
 * @param path the file the partial file becomes (relative or absolute)
 * @returns the partial file's path, in `path`'s folder
 */
export function partialPath(path: string): string {
  const slash = path.lastIndexOf("/");
  const dir = path.slice(0, slash + 1);
  const base = path.slice(slash + 1);
  const name = `.${base}.${Deno.pid}@${HOST}.${counter++}.partial`;
  issued.add(name);
  try {
    // Never handed out before: a file there is a dead process's that had this pid.
    Deno.removeSync(`${dir}${name}`);
  } catch { /* none (or a folder not there yet) */ }
  return `${dir}${name}`;
}

/**
 * Whether the owner of a partial file's name runs. "dead" for a process of
 * this host known to be gone, and for a name with this process's pid that
 * {@linkcode partialPath} did not hand out (a dead process's whose pid was
 * reused); "unknown" for another host's, or when `ps` cannot tell (callers
 * then go by age).
 * @param name the file's name, without folder
 */
export function partialOwnerState(
  name: string,
  owner: PartialName,
): "alive" | "dead" | "unknown" {
  if (owner.pid === Deno.pid && owner.host === HOST && !issued.has(name)) return "dead";
  return ownerState(owner);
}

const escaped = HOST.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const CURRENT = /^\.(.+)\.(\d+)@([^@/]+)\.\d+\.partial$/;
// Earlier versions, this host's only (a host with dots makes other hosts' ambiguous).
const LEGACY = new RegExp(
  `^\\.{0,2}(.+)\\.${escaped}\\.(\\d+)(?:\\.\\d+)?\\.partial(?:\\.[0-9a-f-]{36}\\.partial)?$`,
);

/**
 * Reads a partial file's name (no folder) back: the file it becomes and its
 * owner. Names of earlier versions are read when they are this host's.
 * @returns undefined when `name` is no partial file of sregistry's (or an
 *   earlier version's of another host)
 */
export function parsePartialName(name: string): PartialName | undefined {
  const m = CURRENT.exec(name);
  if (m) return { target: m[1], pid: Number(m[2]), host: m[3] };
  const old = LEGACY.exec(name);
  if (old) return { target: old[1], pid: Number(old[2]), host: HOST };
  return undefined;
}

/** The prefix of this process's work folders (`Deno.makeTempDir` adds the random part). */
export function workDirPrefix(): string {
  return `${WORK_PREFIX}${Deno.pid}@${HOST}-`;
}

/** Reads a work folder's name back; undefined when it is not one. */
export function parseWorkDirName(name: string): TempOwner | undefined {
  const m = new RegExp(`^${WORK_PREFIX}(\\d+)(?:@(.*))?-[^-]+$`).exec(name);
  return m ? { pid: Number(m[1]), host: m[2] } : undefined;
}

/**
 * Whether the owner of a temporary name runs: "dead" only for a process of
 * this host known to be gone; "unknown" for another host's, or when `ps`
 * cannot tell (callers then go by age).
 */
export function ownerState(owner: TempOwner): "alive" | "dead" | "unknown" {
  if (owner.host !== undefined && owner.host !== HOST) return "unknown";
  return pidState(owner.pid);
}

/**
 * Whether process `pid` of this host runs: asks `ps` (Deno reads another
 * process's `/proc` entry only with --allow-all). "unknown" when `ps` cannot
 * be run; callers must then treat the process as alive.
 */
export function pidState(pid: number): "alive" | "dead" | "unknown" {
  if (pid === Deno.pid) return "alive";
  try {
    const out = new Deno.Command("ps", {
      args: ["-p", String(pid), "-o", "pid="],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return out.success ? "alive" : "dead";
  } catch {
    return "unknown";
  }
}
