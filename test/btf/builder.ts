/** A minimal raw-BTF writer for tests: types as words, strings interned, either byte order. */
export class BtfBuilder {
  private words: number[] = [];
  private strings: string[] = [''];
  private offsets = new Map<string, number>([['', 0]]);
  private next = 1;
  private strLen = 1;

  str(s: string): number {
    const have = this.offsets.get(s);
    if (have !== undefined) return have;
    const off = this.strLen;
    this.offsets.set(s, off);
    this.strings.push(s);
    this.strLen += new TextEncoder().encode(s).length + 1;
    return off;
  }

  /** Adds one type record (`btf_type` + extra words); returns its id. */
  type(name: string, kind: number, vlen: number, sizeOrType: number, extra: number[] = [], kflag = false): number {
    this.words.push(this.str(name), ((kflag ? 1 : 0) << 31) | (kind << 24) | vlen, sizeOrType, ...extra);
    return this.next++;
  }

  int(name: string, size: number, signed = false): number {
    return this.type(name, 1, 0, size, [((signed ? 1 : 0) << 24) | (size * 8)]);
  }
  ptr(to: number): number {
    return this.type('', 2, 0, to);
  }
  array(elem: number, index: number, n: number): number {
    return this.type('', 3, 0, 0, [elem, index, n]);
  }
  struct(name: string, size: number, members: [string, number, number][], union = false): number {
    return this.type(name, union ? 5 : 4, members.length, size, members.flatMap(([n, t, bits]) => [this.str(n), t, bits]));
  }
  typedef(name: string, to: number): number {
    return this.type(name, 8, 0, to);
  }
  modifier(kind: 'volatile' | 'const' | 'restrict', to: number): number {
    return this.type('', { volatile: 9, const: 10, restrict: 11 }[kind], 0, to);
  }

  bytes(little = true): Uint8Array {
    const strBytes = new TextEncoder().encode(this.strings.join('\0') + '\0');
    const typeLen = this.words.length * 4;
    const out = new Uint8Array(24 + typeLen + strBytes.length);
    const dv = new DataView(out.buffer);
    dv.setUint16(0, 0xeb9f, little);
    dv.setUint8(2, 1);
    dv.setUint32(4, 24, little);
    dv.setUint32(8, 0, little);
    dv.setUint32(12, typeLen, little);
    dv.setUint32(16, typeLen, little);
    dv.setUint32(20, strBytes.length, little);
    this.words.forEach((w, i) => dv.setUint32(24 + i * 4, w >>> 0, little));
    out.set(strBytes, 24 + typeLen);
    return out;
  }
}
