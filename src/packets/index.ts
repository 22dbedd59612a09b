/** Packet builders and a decoder for tests: frames with correct checksums, no hand-written hex. */
export * from './build.js';
export * from './decode.js';
export { mac, ipv4Address, ipv6Address, formatMac, formatIpv4, formatIpv6 } from './addresses.js';
export { internetChecksum, onesComplementSum } from './checksum.js';
export { packetFromSpec } from './spec.js';
export { readPcap, writePcap, LINKTYPE_ETHERNET, type Pcap, type PcapFrame } from './pcap.js';
