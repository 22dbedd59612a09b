import { Errno } from '../errno.js';
import { jhash2 } from '../kernel/jhash.js';
import { TcpState, type SimSocket } from '../kernel/sockets.js';
import { u32, view } from './args.js';
import type { HelperGroup } from './group.js';
import { socketAt } from './sockets.js';

const COOKIEBITS = 24;
const COOKIEMASK = (1 << COOKIEBITS) - 1;
/** MAX_SYNCOOKIE_AGE: a cookie is good for this many minutes after the one it was made in. */
const MAX_AGE = 2;
/** TCP_SYNCOOKIE_VALID: a listener checks cookies for two minutes after it last sent one. */
const SYNCOOKIE_VALID_NS = 120_000_000_000n;
const MINUTE_NS = 60_000_000_000n;
/** The MSS values a cookie can encode (msstab of syncookies.c / syncookies.c for IPv6). */
const MSSTAB4 = [536, 1300, 1440, 1460];
const MSSTAB6 = [1280 - 60, 1480 - 60, 1500 - 60, 9000 - 60];
/** The MSS a SYN without the option is taken to want (mss_clamp of the request sock ops). */
const MSS_CLAMP4 = 536;
const MSS_CLAMP6 = 1280 - 20 - 40;
/** bpfkit's syncookie secrets (the kernel draws its own at boot, so cookie values never match it). */
const SECRETS = [0x5eed0001, 0x5eed0002];

/** When each listener last sent a syncookie (tcp_synq_overflow), by simulated CLOCK_MONOTONIC. */
const lastOverflow = new WeakMap<SimSocket, bigint>();

interface Segment {
  version: number;
  saddr: Uint8Array;
  daddr: Uint8Array;
  sport: number;
  dport: number;
  seq: number;
  ackSeq: number;
  flags: number;
  doff: number;
  th: Uint8Array;
}

const be16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const be32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

function words(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 4) out.push(be32(b, i));
  return out;
}

/** cookie_hash: a keyed hash of the connection and the minute counter (siphash in the kernel). */
function cookieHash(s: Segment, count: number, c: 0 | 1): number {
  return jhash2([...words(s.saddr), ...words(s.daddr), ((s.sport << 16) | s.dport) >>> 0, count >>> 0], SECRETS[c]!);
}

/** tcp_parse_mss_option: the MSS option of a SYN, or 0. */
function mssOption(th: Uint8Array, doff: number): number {
  let i = 20;
  const end = Math.min(doff * 4, th.length);
  while (i < end) {
    const kind = th[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const len = th[i + 1] ?? 0;
    if (len < 2 || i + len > end) break;
    if (kind === 2 && len === 4) return be16(th, i + 2);
    i += len;
  }
  return 0;
}

/** __cookie_v4/v6_init_sequence: the cookie for a SYN (its MSS option, else the family's default) | the MSS kept << 32. */
function genCookie(seg: Segment, count: number): bigint {
  const table = seg.version === 4 ? MSSTAB4 : MSSTAB6;
  const want = mssOption(seg.th, seg.doff) || (seg.version === 4 ? MSS_CLAMP4 : MSS_CLAMP6);
  let ind = table.length - 1;
  while (ind > 0 && want < table[ind]!) ind--;
  const cookie = (cookieHash(seg, 0, 0) + seg.seq + ((count << COOKIEBITS) >>> 0) + ((cookieHash(seg, count, 1) + ind) & COOKIEMASK)) >>> 0;
  return BigInt(cookie) | (BigInt(table[ind]!) << 32n);
}

/** __cookie_v4/v6_check: whether the ACK returns a cookie made for this connection in the last two minutes. */
function cookieValid(seg: Segment, count: number): boolean {
  const table = seg.version === 4 ? MSSTAB4 : MSSTAB6;
  const cookie = (seg.ackSeq - 1) >>> 0;
  const sseq = (seg.seq - 1) >>> 0;
  const stripped = (cookie - cookieHash(seg, 0, 0) - sseq) >>> 0;
  const diff = (count - (stripped >>> COOKIEBITS)) & (0xffffffff >>> COOKIEBITS);
  if (diff >= MAX_AGE) return false;
  return ((stripped - cookieHash(seg, count - diff, 1)) & COOKIEMASK) < table.length;
}

/**
 * bpf_tcp_gen_syncookie and bpf_tcp_check_syncookie against listeners of the simulated socket
 * table, with the kernel's checks in its order and its cookie layout (secure_tcp_syn_cookie: the
 * hash of the connection plus the client's sequence number, the minute counter in the top 8 bits,
 * the MSS index in the low 24 under a second hash). Only the hash differs: the kernel keys siphash
 * with secrets drawn at boot, bpfkit jhash2 with fixed ones, so cookies are bpfkit's own but a
 * cookie bpfkit made checks as the kernel's would: valid for the minute it was made in and the
 * next (MAX_SYNCOOKIE_AGE), and only while the listener sent a cookie in the last two minutes
 * (-ENOENT otherwise). Time is the simulated CLOCK_MONOTONIC. gen answers cookie | mss << 32.
 * The raw variants (bpf_tcp_raw_gen/check_syncookie_ipv4/6) work on the headers alone; a raw check
 * that fails is -EACCES.
 */
export const syncookieHelpers: HelperGroup = (k) => {
  const minute = (): number => Number((k.clock.now() / MINUTE_NS) & 0xffffffffn);
  const segment = (iph: bigint, iphLen: number, th: bigint, thLen: number): Segment | number => {
    const ip = view(k.memory, iph, iphLen);
    const t = view(k.memory, th, thLen);
    const version = ip[0]! >> 4;
    const v4 = version === 4;
    if (!v4 && version === 6 && iphLen < 40) return -Errno.EINVAL;
    return {
      version,
      saddr: v4 ? ip.slice(12, 16) : ip.slice(8, 24),
      daddr: v4 ? ip.slice(16, 20) : ip.slice(24, 40),
      sport: be16(t, 0),
      dport: be16(t, 2),
      seq: be32(t, 4),
      ackSeq: be32(t, 8),
      doff: t[12]! >> 4,
      flags: t[13]!,
      th: t,
    };
  };
  // The raw variants take the headers alone: no listener, no overflow window, no flag checks.
  const rawGen = (iph: bigint, iphLen: number, th: bigint, thLen: number): bigint => {
    if (thLen < 20) return BigInt(-Errno.EINVAL);
    const t = view(k.memory, th, thLen);
    if (thLen !== (t[12]! >> 4) * 4) return BigInt(-Errno.EINVAL);
    const seg = segment(iph, iphLen, th, thLen);
    if (typeof seg === 'number') return BigInt(seg);
    return genCookie({ ...seg, version: iphLen === 20 ? 4 : 6 }, minute());
  };
  const rawCheck = (iph: bigint, iphLen: number, th: bigint): bigint => {
    const seg = segment(iph, iphLen, th, 20);
    if (typeof seg === 'number') return BigInt(seg);
    return cookieValid({ ...seg, version: iphLen === 20 ? 4 : 6 }, minute()) ? 0n : BigInt(-Errno.EACCES);
  };
  const listener = (sk: bigint): SimSocket | undefined => socketAt(k, Number(BigInt.asUintN(64, sk)));
  const familyOk = (s: SimSocket, version: number): number => {
    if (version === 4) return s.family === 10 && s.v6only === true ? -Errno.EINVAL : 0;
    if (version === 6) return s.family !== 10 ? -Errno.EINVAL : 0;
    return -Errno.EPROTONOSUPPORT;
  };
  return {
    tcp_gen_syncookie: (_rt, sk, iph, iphLenArg, th, thLenArg) => {
      const s = listener(sk);
      const thLen = u32(thLenArg);
      const iphLen = u32(iphLenArg);
      if (s === undefined || thLen < 20) return BigInt(-Errno.EINVAL);
      const t = view(k.memory, th, thLen);
      if (thLen !== (t[12]! >> 4) * 4) return BigInt(-Errno.EINVAL);
      if (s.state !== TcpState.LISTEN || s.protocol !== 'tcp') return BigInt(-Errno.EINVAL);
      const f = t[13]!;
      // SYN alone: no ACK, FIN or RST.
      if (!(f & 0x02) || f & 0x10 || f & 0x01 || f & 0x04) return BigInt(-Errno.EINVAL);
      if (iphLen < 20) return BigInt(-Errno.EINVAL);
      const seg = segment(iph, iphLen, th, thLen);
      if (typeof seg === 'number') return BigInt(seg);
      const bad = familyOk(s, seg.version);
      if (bad !== 0) return BigInt(bad);
      const r = genCookie(seg, minute());
      lastOverflow.set(s, k.clock.now());
      return r;
    },
    tcp_check_syncookie: (_rt, sk, iph, iphLenArg, th, thLenArg) => {
      const s = listener(sk);
      const thLen = u32(thLenArg);
      const iphLen = u32(iphLenArg);
      if (s === undefined || thLen < 20) return BigInt(-Errno.EINVAL);
      if (s.state !== TcpState.LISTEN || s.protocol !== 'tcp') return BigInt(-Errno.EINVAL);
      const t = view(k.memory, th, thLen);
      const f = t[13]!;
      if (!(f & 0x10) || f & 0x04 || f & 0x02) return BigInt(-Errno.ENOENT);
      if (iphLen < 20) return BigInt(-Errno.EINVAL);
      const last = lastOverflow.get(s);
      if (last === undefined || k.clock.now() - last > SYNCOOKIE_VALID_NS) return BigInt(-Errno.ENOENT);
      const seg = segment(iph, iphLen, th, thLen);
      if (typeof seg === 'number') return BigInt(seg);
      const bad = familyOk(s, seg.version);
      if (bad !== 0) return BigInt(bad);
      return cookieValid(seg, minute()) ? 0n : BigInt(-Errno.ENOENT);
    },
    tcp_raw_gen_syncookie_ipv4: (_rt, iph, th, thLen) => rawGen(iph, 20, th, u32(thLen)),
    tcp_raw_gen_syncookie_ipv6: (_rt, iph, th, thLen) => rawGen(iph, 40, th, u32(thLen)),
    tcp_raw_check_syncookie_ipv4: (_rt, iph, th) => rawCheck(iph, 20, th),
    tcp_raw_check_syncookie_ipv6: (_rt, iph, th) => rawCheck(iph, 40, th),
  };
};
