/**
 * Which names in the settings file something reads: `backend add` warns
 * about a name nothing reads (a typo, or a setting of another tool), and
 * says which known name is closest.
 * @module
 */
import { settingsTable } from "../config/settings.ts";

/** Read from the environment only: stored in the settings file, it does nothing. */
const ENVIRONMENT_ONLY = new Set(["SREGISTRY_CLIENT_SECRETS", "SREGISTRY_PROGRESS_INTERVAL"]);

/** The edit distance between `a` and `b` (insertions, deletions, substitutions). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

/**
 * A warning when nothing reads the setting `name` from the settings file,
 * else undefined.
 *
 * @param name the full variable name as stored (`SREGISTRY_DOCKER_CMD`).
 * @returns `Warning: ...` text naming the closest known setting when one is near.
 */
export function unreadSettingWarning(name: string): string | undefined {
  if (ENVIRONMENT_ONLY.has(name)) {
    return `Warning: ${name} is read from the environment only: stored in the settings file it does nothing: export it instead`;
  }
  const known = settingsTable().map((r) => r.name).filter((n) => !ENVIRONMENT_ONLY.has(n));
  if (known.includes(name)) return undefined;
  const closest = known.map((n) => ({ n, d: distance(name, n) })).sort((a, b) => a.d - b.d)[0];
  const hint = closest && closest.d <= Math.max(3, Math.floor(name.length / 3))
    ? `did you mean ${closest.n}?`
    : `the settings it reads are listed in the README ("Environment variables")`;
  return `Warning: nothing reads ${name}: it was stored, but sregistry has no setting of that name: ${hint}`;
}
