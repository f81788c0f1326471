/**
 * The data writer's index of stored contents by key (the first 16 bytes of a
 * SHA-256, kept in the {@link FileTable}), so an identical content is stored
 * once. An open-addressing hash table of record numbers in one Int32Array
 * (at most half full, so 8 to 16 bytes per content), where a `Map` from a
 * 16-character key string cost about 70 bytes of heap per content.
 * @module
 */

import type { FileData } from "../layers/image_tree.ts";
import { FIELD, type FileTable, KEY_BYTES } from "./file_table.ts";

/** Contents stored once, by key and size. */
export class ContentIndex {
  #table: FileTable;
  /** Record + 1 per slot; 0 is empty. */
  #slots = new Int32Array(1024);
  #used = 0;

  constructor(table: FileTable) {
    this.#table = table;
  }

  /** The record stored with the same key (`table.key(record)`) and size, or -1. */
  find(record: FileData): FileData | -1 {
    const mask = this.#slots.length - 1;
    const size = this.#table.get(record, FIELD.size);
    for (let at = this.#hash(record) & mask;; at = (at + 1) & mask) {
      const slot = this.#slots[at];
      if (slot === 0) return -1;
      const other = slot - 1;
      if (this.#sameKey(other, record) && this.#table.get(other, FIELD.size) === size) return other;
    }
  }

  /** Adds `record` (its key set in the table); the caller checked {@link find} first. */
  add(record: FileData): void {
    if (2 * (this.#used + 1) > this.#slots.length) this.#grow();
    this.#place(this.#slots, record);
    this.#used++;
  }

  /** Forgets every content. */
  clear(): void {
    this.#slots = new Int32Array(1024);
    this.#used = 0;
  }

  #place(slots: Int32Array, record: FileData): void {
    const mask = slots.length - 1;
    let at = this.#hash(record) & mask;
    while (slots[at] !== 0) at = (at + 1) & mask;
    slots[at] = record + 1;
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Int32Array(old.length * 2);
    for (const slot of old) if (slot !== 0) this.#place(this.#slots, slot - 1);
  }

  /** The key's first four bytes (already uniformly spread: they are hash output). */
  #hash(record: FileData): number {
    const t = this.#table;
    return (t.keyByte(record, 0) | (t.keyByte(record, 1) << 8) | (t.keyByte(record, 2) << 16) |
      (t.keyByte(record, 3) << 24)) >>> 0;
  }

  #sameKey(a: FileData, b: FileData): boolean {
    for (let k = 0; k < KEY_BYTES; k++) {
      if (this.#table.keyByte(a, k) !== this.#table.keyByte(b, k)) return false;
    }
    return true;
  }
}
