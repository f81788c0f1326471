/**
 * How many CPUs this process may use, for the squashfs writer's compression
 * workers and for mksquashfs `-processors`.
 * @module
 */

/**
 * How many CPUs this process may use: the affinity mask in
 * `/proc/self/status` (`Cpus_allowed_list`), else the CPU count, capped by
 * `SREGISTRY_PROCESSORS` when that is a positive integer.
 */
export function availableProcessors(
  read: () => string = () => Deno.readTextFileSync("/proc/self/status"),
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): number {
  let count = navigator.hardwareConcurrency || 1;
  try {
    const match = read().match(/^Cpus_allowed_list:\s*(.+)$/m);
    if (match) count = countCpuList(match[1]) || count;
  } catch {
    // not Linux or no permission: keep the CPU count
  }
  const cap = Number(env("SREGISTRY_PROCESSORS"));
  return Number.isInteger(cap) && cap > 0 ? Math.min(cap, count) : count;
}

/** Counts the CPUs of a Linux CPU list such as `0-3,8,10-11`. */
export function countCpuList(list: string): number {
  let count = 0;
  for (const part of list.trim().split(",")) {
    const [low, high] = part.split("-").map(Number);
    if (Number.isInteger(low)) count += Number.isInteger(high) ? high - low + 1 : 1;
  }
  return count;
}
