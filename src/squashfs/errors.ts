/**
 * What the squashfs format cannot hold.
 * @module
 */

import { SregistryError } from "../errors.ts";

/**
 * The image holds something squashfs 4.0 cannot store: a name over 256
 * bytes, more than 65536 distinct owner ids, a device number out of Linux's
 * 12-bit major / 20-bit minor range. The CLI exits with code 1.
 */
export class SquashfsLimitError extends SregistryError {}
