/** The sample packets of the run panel, built with bpfkit's packet builders (correct checksums). */
import { arp, ethernet, ipv4, ipv6, tcp, udp } from 'bpfkit/core';

export interface Sample {
  readonly id: string;
  readonly label: string;
  readonly build: () => Uint8Array;
}

const udpFrame = (vlan?: number): Uint8Array =>
  ethernet({
    ...(vlan !== undefined ? { vlan } : {}),
    payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, payload: udp({ sport: 4000, dport: 53, payload: 'hello, bpf' }) }),
  });

export const SAMPLES: readonly Sample[] = [
  { id: 'ipv4-udp', label: 'IPv4 / UDP (10.0.0.1 → 10.0.0.2:53)', build: () => udpFrame() },
  {
    id: 'ipv4-tcp',
    label: 'IPv4 / TCP SYN (→ 10.0.0.80:80)',
    build: () => ethernet({ payload: ipv4({ src: '192.168.0.10', dst: '10.0.0.80', ttl: 61, payload: tcp({ sport: 43512, dport: 80, flags: 'S', seq: 1000 }) }) }),
  },
  {
    id: 'ipv6',
    label: 'IPv6 / UDP (2001:db8::1 → ::2)',
    build: () => ethernet({ payload: ipv6({ src: '2001:db8::1', dst: '2001:db8::2', payload: udp({ sport: 5353, dport: 5353, payload: 'mdns' }) }) }),
  },
  {
    id: 'arp',
    label: 'ARP who-has 10.0.0.2',
    build: () => ethernet({ dst: 'ff:ff:ff:ff:ff:ff', payload: arp({ senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' }), minLength: 60 }),
  },
  { id: 'vlan', label: 'VLAN 100 · IPv4 / UDP', build: () => udpFrame(100) },
  // Cut inside the IPv4 header: bounds checks must catch it (tc's test run refuses it outright).
  { id: 'truncated', label: 'Truncated (IPv4 header cut at 24 bytes)', build: () => udpFrame().slice(0, 24) },
];

export function sampleById(id: string): Sample | undefined {
  return SAMPLES.find((s) => s.id === id);
}
