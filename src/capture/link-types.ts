/**
 * @fileoverview Link types (the tcpdump.org LINKTYPE_* numbers) and their headers: which
 * a capture may hold, and how a packet of each becomes the Ethernet frame that XDP and tc
 * programs expect.
 */

/** One link type: its number, its name as tcpdump prints it, and how to reach the network layer. */
export interface LinkType {
  readonly id: number;
  readonly name: string;
  /** The ethertype and the offset of the network header, or undefined for a frame too short. */
  network(data: Uint8Array): { etherType: number; offset: number } | undefined;
}

const be16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
const ipVersion = (b: Uint8Array, o: number) => (b.length > o ? b[o]! >> 4 : 0);
/** ETH_P_IP and ETH_P_IPV6 from an IP header's version nibble. */
const byVersion = (b: Uint8Array, o: number) => {
  const v = ipVersion(b, o);
  return v === 4 ? { etherType: 0x0800, offset: o } : v === 6 ? { etherType: 0x86dd, offset: o } : undefined;
};
/** The BSD loopback header's address family: AF_INET 2; AF_INET6 is 24, 28 or 30 by system. */
const byFamily = (family: number, o: number) =>
  family === 2 ? { etherType: 0x0800, offset: o } : [24, 28, 30, 10].includes(family) ? { etherType: 0x86dd, offset: o } : undefined;

/** Every link type the readers understand, by number. */
export const LINK_TYPES: readonly LinkType[] = [
  /** LINKTYPE_NULL: a 4-byte address family in the capturing host's byte order */
  { id: 0, name: "NULL", network: (b) => (b.length < 4 ? undefined : byFamily(b[0]! || b[3]!, 4)) },
  /** LINKTYPE_ETHERNET */
  { id: 1, name: "EN10MB", network: (b) => (b.length < 14 ? undefined : { etherType: be16(b, 12), offset: 14 }) },
  /** LINKTYPE_RAW: an IPv4 or IPv6 header first */
  { id: 101, name: "RAW", network: (b) => byVersion(b, 0) },
  /** LINKTYPE_LOOP: as NULL, in network byte order */
  { id: 108, name: "LOOP", network: (b) => (b.length < 4 ? undefined : byFamily(b[3]!, 4)) },
  /** LINKTYPE_LINUX_SLL: the 16-byte Linux cooked header, protocol last */
  { id: 113, name: "LINUX_SLL", network: (b) => (b.length < 16 ? undefined : { etherType: be16(b, 14), offset: 16 }) },
  /** LINKTYPE_IPV4 */
  { id: 228, name: "IPV4", network: (b) => (ipVersion(b, 0) === 4 ? { etherType: 0x0800, offset: 0 } : undefined) },
  /** LINKTYPE_IPV6 */
  { id: 229, name: "IPV6", network: (b) => (ipVersion(b, 0) === 6 ? { etherType: 0x86dd, offset: 0 } : undefined) },
  /** LINKTYPE_LINUX_SLL2: the 20-byte Linux cooked header v2, protocol first */
  { id: 276, name: "LINUX_SLL2", network: (b) => (b.length < 20 ? undefined : { etherType: be16(b, 0), offset: 20 }) },
];

const BY_ID = new Map(LINK_TYPES.map((l) => [l.id, l]));

/** LINKTYPE_ETHERNET */
export const LINKTYPE_ETHERNET = 1;

/** The link type numbered `id`, if the readers know it. */
export const linkType = (id: number): LinkType | undefined => BY_ID.get(id);

/**
 * The packet as an Ethernet frame: unchanged if it is one, else the network layer behind
 * a 14-byte header with zero addresses and the protocol's ethertype. Undefined where the
 * link header is cut short or names no protocol.
 */
export function toEthernet(data: Uint8Array, link: number): Uint8Array | undefined {
  if (link === LINKTYPE_ETHERNET) return data;
  const net = BY_ID.get(link)?.network(data);
  if (!net) return undefined;
  const out = new Uint8Array(14 + data.length - net.offset);
  out[12] = net.etherType >> 8;
  out[13] = net.etherType & 0xff;
  out.set(data.subarray(net.offset), 14);
  return out;
}
