/**
 * @fileoverview Names the filter language resolves: protocols, services, ethernet types and
 * LLC SAPs. A small built-in table (the IANA numbers every system agrees on) that a host
 * resolver (the CLI reads /etc/services, /etc/protocols, /etc/hosts) may replace.
 */

/** What the compiler asks when an expression names something instead of numbering it. */
export interface NameResolver {
  /** IP protocol number for a name (`tcp` 6), as getprotobyname answers. */
  protocol(name: string): number | undefined;
  /** The port a service name has for `tcp`, `udp` and `sctp` (getservbyname). */
  service(name: string): { tcp?: number; udp?: number; sctp?: number } | undefined;
  /** IPv4 addresses of a host name (host order), as the hosts file lists them. */
  host?(name: string): number[] | undefined;
  /** IPv6 addresses of a host name (16 bytes each). */
  host6?(name: string): Uint8Array[] | undefined;
  /** A network name's number (getnetbyname). */
  network?(name: string): number | undefined;
  /** A link-layer address for a host name (/etc/ethers). */
  ether?(name: string): Uint8Array | undefined;
}

/** IANA protocol numbers (a part of /etc/protocols every system has). */
const PROTOCOLS: Readonly<Record<string, number>> = {
  ip: 0, hopopt: 0, icmp: 1, igmp: 2, ggp: 3, ipencap: 4, st: 5, tcp: 6, egp: 8, igp: 9, pup: 12, udp: 17,
  hmp: 20, "xns-idp": 22, rdp: 27, "iso-tp4": 29, dccp: 33, xtp: 36, ddp: 37, "idpr-cmtp": 38, ipv6: 41,
  "ipv6-route": 43, "ipv6-frag": 44, idrp: 45, rsvp: 46, gre: 47, esp: 50, ah: 51, skip: 57, "ipv6-icmp": 58,
  "ipv6-nonxt": 59, "ipv6-opts": 60, rspf: 73, vmtp: 81, eigrp: 88, ospf: 89, "ax.25": 93, ipip: 94,
  etherip: 97, encap: 98, pim: 103, ipcomp: 108, vrrp: 112, l2tp: 115, isis: 124, sctp: 132, fc: 133,
  "mobility-header": 135, udplite: 136, "mpls-in-ip": 137, manet: 138, hip: 139, shim6: 140, wesp: 141,
  rohc: 142, ethernet: 143,
};

/** Well-known services (a part of /etc/services), name to [tcp, udp] ports. */
const SERVICES: Readonly<Record<string, { tcp?: number; udp?: number; sctp?: number }>> = {
  "ftp-data": { tcp: 20 }, ftp: { tcp: 21 }, ssh: { tcp: 22, sctp: 22 }, telnet: { tcp: 23 }, smtp: { tcp: 25 },
  domain: { tcp: 53, udp: 53 }, bootps: { udp: 67 }, bootpc: { udp: 68 }, tftp: { udp: 69 }, http: { tcp: 80, sctp: 80 },
  pop3: { tcp: 110 }, sunrpc: { tcp: 111, udp: 111 }, ntp: { udp: 123 }, imap2: { tcp: 143 }, snmp: { tcp: 161, udp: 161 },
  bgp: { tcp: 179 }, ldap: { tcp: 389, udp: 389 }, https: { tcp: 443, udp: 443, sctp: 443 }, syslog: { udp: 514 },
  submission: { tcp: 587 }, imaps: { tcp: 993 }, pop3s: { tcp: 995 }, mysql: { tcp: 3306 }, postgresql: { tcp: 5432 },
};

/** The built-in resolver: numbers from the tables above, no host names. */
export const BUILTIN_NAMES: NameResolver = {
  protocol: (name) => PROTOCOLS[name],
  service: (name) => SERVICES[name],
};

/** Ethernet type names libpcap knows itself (nametoaddr.c eproto_db). */
export const ETHER_PROTOS: Readonly<Record<string, number>> = {
  aarp: 0x80f3, arp: 0x0806, atalk: 0x809b, decnet: 0x6003, ip: 0x0800, ip6: 0x86dd, lat: 0x6004,
  loopback: 0x9000, mopdl: 0x6001, moprc: 0x6002, rarp: 0x8035, sca: 0x6007,
};

/** LLC SAP names libpcap knows (nametoaddr.c llc_db). */
export const LLC_SAPS: Readonly<Record<string, number>> = { iso: 0xfe, stp: 0x42, ipx: 0xe0, netbeui: 0xf0 };
