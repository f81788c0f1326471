/**
 * A reusable little-endian record builder for the squashfs encoders: the
 * caller appends fields, reads `bytes()` (valid until the next `reset()`).
 * @module
 */

/** Appends little-endian integers and bytes to a growing buffer. */
export class RecordBuilder {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  /** Empties the builder; returns it for chaining. */
  reset(): this {
    this.#len = 0;
    return this;
  }

  /** Bytes appended so far. */
  get length(): number {
    return this.#len;
  }

  /** The record so far (a view, valid until the next append or reset). */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  u16(value: number): this {
    this.#room(2).setUint16(this.#len, value, true);
    this.#len += 2;
    return this;
  }

  i16(value: number): this {
    this.#room(2).setInt16(this.#len, value, true);
    this.#len += 2;
    return this;
  }

  u32(value: number): this {
    this.#room(4).setUint32(this.#len, value >>> 0, true);
    this.#len += 4;
    return this;
  }

  i32(value: number): this {
    this.#room(4).setInt32(this.#len, value, true);
    this.#len += 4;
    return this;
  }

  /** A non-negative safe integer or a bigint as u64. */
  u64(value: number | bigint): this {
    this.#room(8).setBigUint64(this.#len, BigInt(value), true);
    this.#len += 8;
    return this;
  }

  /** Raw bytes, or a byte string (one code unit = one byte). */
  raw(value: Uint8Array | string): this {
    this.#room(value.length);
    if (typeof value === "string") {
      for (let i = 0; i < value.length; i++) this.#buf[this.#len + i] = value.charCodeAt(i);
    } else {
      this.#buf.set(value, this.#len);
    }
    this.#len += value.length;
    return this;
  }

  #room(extra: number): DataView {
    if (this.#len + extra > this.#buf.length) {
      const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + extra));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
      this.#view = new DataView(grown.buffer);
    }
    return this.#view;
  }
}
