import { BpfkitError, ErrorCode } from '../errors.js';

/** `0x`-prefixed lower-case hex, how offsets appear in error messages. */
export const hex = (n: number): string => `0x${n.toString(16)}`;

/** Throws the BAD_INPUT error every malformed-input path reports. */
export function badInput(message: string): never {
  throw new BpfkitError(ErrorCode.BadInput, message);
}

/**
 * Bounds-checked, endian-aware reads over a byte range. Every read names `what` is being read
 * so a malformed file reports the field and its offset, never a RangeError.
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly little: boolean;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, little: boolean) {
    this.bytes = bytes;
    this.little = little;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Fails unless `size` bytes at `at` are inside the range. */
  need(at: number, size: number, what: string): void {
    if (at < 0 || size < 0 || at + size > this.bytes.length) {
      badInput(`${what}: ${size} bytes at offset ${hex(at)} past end of data (${hex(this.bytes.length)} bytes)`);
    }
  }

  u8(at: number, what: string): number {
    this.need(at, 1, what);
    return this.view.getUint8(at);
  }

  u16(at: number, what: string): number {
    this.need(at, 2, what);
    return this.view.getUint16(at, this.little);
  }

  u32(at: number, what: string): number {
    this.need(at, 4, what);
    return this.view.getUint32(at, this.little);
  }

  i32(at: number, what: string): number {
    this.need(at, 4, what);
    return this.view.getInt32(at, this.little);
  }

  /**
   * An unsigned 64-bit field as a number. Offsets and sizes that do not fit 2^53 cannot describe
   * anything inside a file we hold in memory, so they are reported rather than rounded.
   */
  u64(at: number, what: string): number {
    this.need(at, 8, what);
    const lo = this.view.getUint32(at + (this.little ? 0 : 4), this.little);
    const hi = this.view.getUint32(at + (this.little ? 4 : 0), this.little);
    if (hi > 0x1fffff) badInput(`${what}: value 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is too large`);
    return hi * 0x1_0000_0000 + lo;
  }

  /** A signed 64-bit field (relocation addends), as a number when it fits 2^53. */
  i64(at: number, what: string): number {
    this.need(at, 8, what);
    const v = this.view.getBigInt64(at, this.little);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      badInput(`${what}: value ${v} is too large`);
    }
    return Number(v);
  }

  /** A sub-range, checked. */
  slice(at: number, size: number, what: string): Uint8Array {
    this.need(at, size, what);
    return this.bytes.subarray(at, at + size);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * A NUL-terminated string at `at` in a string table. A string that runs off the end of its
 * table is malformed; reading it would silently take bytes of whatever follows.
 */
export function cString(table: Uint8Array, at: number, what: string, tableName: string): string {
  if (!Number.isInteger(at) || at < 0 || at >= table.length) {
    badInput(`${what}: string offset ${hex(at)} past end of ${tableName} (${hex(table.length)} bytes)`);
  }
  // Names are almost always ASCII: build them directly and leave UTF-8 to the decoder.
  let s = '';
  for (let i = at; i < table.length; i++) {
    const c = table[i]!;
    if (c === 0) return s;
    if (c >= 0x80) {
      const end = table.indexOf(0, i);
      if (end < 0) break;
      return decodeText(table.subarray(at, end));
    }
    s += String.fromCharCode(c);
  }
  badInput(`${what}: string at ${hex(at)} in ${tableName} is not NUL-terminated`);
}

/** Bytes as text (UTF-8, invalid sequences replaced). */
export const decodeText = (bytes: Uint8Array): string => utf8.decode(bytes);
