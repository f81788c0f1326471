/**
 * The one-line-per-kind summary of what applying the layers could not do
 * exactly as the image says, the same for every backend.
 * @module
 */

/** Counts of skipped or adjusted entries. */
export interface SkipTotals {
  /** Device nodes and FIFOs the sandbox folder did not get (no root). */
  devices: number;
  /** Extended attributes the sandbox folder did not get. */
  xattrs: number;
  /** Why they were not set: a kind (`security.* (needs root)`) to its count. */
  xattrKinds?: ReadonlyMap<string, number>;
  reRooted: number;
  other: number;
  badWhiteouts: number;
  /** Entries whose mtime was outside squashfs's range (`limits.ts`), every road. */
  clampedTimes?: number;
  /** `user.*` xattrs of symbolic links, devices and FIFOs (`limits.ts`), every road. */
  userXattrs?: number;
  /** Device nodes whose numbers fit neither squashfs nor Linux (`limits.ts`), every road. */
  badDevices?: number;
}

/** The summary warnings for `totals` and `relaxed` owner-writable directories. */
export function summaryWarnings(t: SkipTotals, relaxed: number): string[] {
  const kinds = [...t.xattrKinds ?? []].map(([kind, n]) => `${n} ${kind}`).join(", ");
  const lines: [number, string][] = [
    [t.devices, "device nodes and FIFOs skipped: creating them needs root"],
    [
      t.badDevices ?? 0,
      "device nodes skipped: their numbers are out of range (major > 4095 or minor > 1048575), " +
      "which neither squashfs nor Linux can hold",
    ],
    [
      t.clampedTimes ?? 0,
      "entries had modification times outside 1970-01-01..2106-02-07 (squashfs's unsigned " +
      "32-bit seconds): clamped to the nearest end",
    ],
    [
      t.xattrs,
      `extended attributes (SCHILY.xattr.*) not set on the unpacked folder${
        kinds ? ` (${kinds})` : ""
      }; the default native builder keeps them in the SIF`,
    ],
    [
      t.userXattrs ?? 0,
      "user.* extended attributes of symbolic links, devices or FIFOs dropped: Linux allows " +
      "them only on files and folders",
    ],
    [t.reRooted, "entries with absolute names or '..' re-rooted inside the image's root"],
    [t.other, "entries of unsupported tar types skipped"],
    [t.badWhiteouts, "whiteout entries naming nothing ignored"],
    [relaxed, "read-only directories kept owner-writable so the sandbox stays deletable"],
  ];
  return lines.filter(([n]) => n > 0).map(([n, text]) => `${n} ${text}`);
}
