/**
 * The one-line-per-kind summary of what applying the layers could not do
 * exactly as the image says, the same for every backend.
 * @module
 */

/** Counts of skipped or adjusted entries. */
export interface SkipTotals {
  devices: number;
  xattrs: number;
  reRooted: number;
  other: number;
  badWhiteouts: number;
}

/** The summary warnings for `totals` and `relaxed` owner-writable directories. */
export function summaryWarnings(t: SkipTotals, relaxed: number): string[] {
  const lines: [number, string][] = [
    [t.devices, "device nodes and FIFOs skipped: creating them needs root"],
    [
      t.xattrs,
      "extended attributes (SCHILY.xattr.*) not applied: sregistry cannot set extended attributes",
    ],
    [t.reRooted, "entries with absolute names or '..' re-rooted inside the image's root"],
    [t.other, "entries of unsupported tar types skipped"],
    [t.badWhiteouts, "whiteout entries naming nothing ignored"],
    [relaxed, "read-only directories kept owner-writable so the sandbox stays deletable"],
  ];
  return lines.filter(([n]) => n > 0).map(([n, text]) => `${n} ${text}`);
}
