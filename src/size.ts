/**
 * Byte counts for people.
 * @module
 */
const UNITS = ["B", "kB", "MB", "GB", "TB", "PB"];

/**
 * Formats a byte count the way people read it, in SI units (1 kB = 1000 B):
 * whole bytes below 1 kB, one decimal above (`1.5 MB`). The unit is chosen
 * after rounding, so 999,960 bytes is `1.0 MB`, never `1000.0 kB`.
 *
 * @param bytes a count of bytes (or bytes per second); negative values keep their sign.
 */
export function humanSize(bytes: number): string {
  const sign = bytes < 0 ? "-" : "";
  const abs = Math.abs(bytes);
  if (Math.round(abs) < 1000) return `${sign}${Math.round(abs)} B`;
  let unit = 1;
  while (unit < UNITS.length - 1 && Math.round(abs / 1000 ** unit * 10) / 10 >= 1000) unit++;
  return `${sign}${(abs / 1000 ** unit).toFixed(1)} ${UNITS[unit]}`;
}
