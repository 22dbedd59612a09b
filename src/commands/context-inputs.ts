import type { ContextInput } from '../run/context.js';
import { ExitError } from './common.js';

/** The JSON options of `bpfkit run` that describe a socket hook's input, by option name. */
export const CONTEXT_INPUT_OPTIONS = [
  ['--socket <json>', 'cgroup_sock, sock_ops, sk_skb, sk_msg, cgroup_sockopt: the socket, e.g. \'{"protocol":"tcp","localIp":"10.0.0.1","localPort":80,"remoteIp":"10.0.0.2","remotePort":40000}\''],
  ['--sock-addr <json>', 'cgroup_sock_addr: the address, e.g. \'{"ip":"10.0.0.2","port":443}\' (type, protocol, msgSrc)'],
  ['--sock-ops <json>', 'sock_ops: the callback, e.g. \'{"op":4,"args":[0,9],"tcp":{"snd_cwnd":20}}\''],
  ['--sk-lookup <json>', 'sk_lookup: the lookup, e.g. \'{"protocol":"udp","remoteIp":"10.0.0.2","remotePort":5353,"localIp":"10.0.0.1","localPort":53}\' (or --ctx with a struct bpf_sk_lookup)'],
  ['--sysctl <json>', 'cgroup_sysctl: the access, e.g. \'{"name":"net/ipv4/tcp_mem","value":"4096\\\\n","newValue":"8192"}\''],
  ['--sockopt <json>', 'cgroup_sockopt: the call, e.g. \'{"op":"get","level":1,"optname":7,"optval":"00100000","retval":0}\' (optval in hex)'],
  ['--netfilter <json>', 'netfilter: the hook and family, e.g. \'{"hook":0,"pf":2}\' (default LOCAL_OUT, IPv4; or --ctx with a struct nf_hook_state)'],
] as const;

/** The parsed options as commander hands them over. */
export interface ContextInputCliOptions {
  socket?: string;
  sockAddr?: string;
  sockOps?: string;
  skLookup?: string;
  sysctl?: string;
  sockopt?: string;
  netfilter?: string;
}

function object(json: string, option: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (e) {
    throw new ExitError(`${option}: not JSON: ${(e as Error).message}`, 2);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ExitError(`${option}: expected a JSON object`, 2);
  return v as Record<string, unknown>;
}

function hexBytes(v: unknown, option: string): Uint8Array {
  if (typeof v !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(v)) throw new ExitError(`${option}: optval must be hex bytes ("0a0b"), not ${JSON.stringify(v)}`, 2);
  return new Uint8Array(Buffer.from(v, 'hex'));
}

/**
 * Fills `run` from the socket-hook JSON options; the contexts check the values (ports, addresses,
 * ops) and refuse bad ones with a usage error.
 */
export function contextInputs(opts: ContextInputCliOptions, run: Omit<ContextInput, 'args'>): void {
  if (opts.socket !== undefined) run.socket = object(opts.socket, '--socket') as unknown as ContextInput['socket'];
  if (opts.sockAddr !== undefined) run.sockAddr = object(opts.sockAddr, '--sock-addr') as unknown as ContextInput['sockAddr'];
  if (opts.sockOps !== undefined) run.sockOps = object(opts.sockOps, '--sock-ops') as unknown as ContextInput['sockOps'];
  if (opts.skLookup !== undefined) run.skLookup = object(opts.skLookup, '--sk-lookup') as unknown as ContextInput['skLookup'];
  if (opts.sysctl !== undefined) run.sysctl = object(opts.sysctl, '--sysctl') as unknown as ContextInput['sysctl'];
  if (opts.netfilter !== undefined) run.netfilter = object(opts.netfilter, '--netfilter') as unknown as ContextInput['netfilter'];
  if (opts.sockopt !== undefined) {
    const o = object(opts.sockopt, '--sockopt');
    run.sockopt = { ...(o as unknown as NonNullable<ContextInput['sockopt']>), optval: hexBytes(o.optval ?? '', '--sockopt') };
  }
}
