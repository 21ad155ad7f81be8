/**
 * @fileoverview The filter language's tokens, as libpcap's scanner.l cuts them: keywords,
 * numbers (decimal, 0x hex, 0 octal), IPv4/IPv6/MAC addresses, names, operators; the longest
 * match wins and, at equal length, the rule listed first (flex's rule).
 */

import { FilterError } from "./errors.js";

export type TokKind =
  | "kw" | "NUM" | "HID" | "HID6" | "EID" | "ID" | "op" | "EOF";

export interface Token {
  kind: TokKind;
  /** The keyword's token name (kw), the operator (op), or the text. */
  value: string;
  /** The number for NUM. */
  num: number;
  /** 1-based column. */
  col: number;
  text: string;
}

/** Keywords to their grammar token (scanner.l). */
export const KEYWORDS: Readonly<Record<string, string>> = {
  dst: "DST", src: "SRC", link: "LINK", ether: "LINK", ppp: "LINK", slip: "LINK", fddi: "LINK", tr: "LINK", wlan: "LINK",
  arp: "ARP", rarp: "RARP", ip: "IP", sctp: "SCTP", tcp: "TCP", udp: "UDP", icmp: "ICMP", igmp: "IGMP", igrp: "IGRP",
  pim: "PIM", vrrp: "VRRP", carp: "CARP", radio: "RADIO", ip6: "IPV6", icmp6: "ICMPV6", ah: "AH", esp: "ESP",
  atalk: "ATALK", aarp: "AARP", decnet: "DECNET", lat: "LAT", sca: "SCA", moprc: "MOPRC", mopdl: "MOPDL",
  iso: "ISO", esis: "ESIS", "es-is": "ESIS", isis: "ISIS", "is-is": "ISIS", l1: "L1", l2: "L2", iih: "IIH", lsp: "LSP",
  snp: "SNP", csnp: "CSNP", psnp: "PSNP", clnp: "CLNP", stp: "STP", ipx: "IPX", netbeui: "NETBEUI",
  host: "HOST", net: "NET", mask: "NETMASK", port: "PORT", portrange: "PORTRANGE", proto: "PROTO", protochain: "PROTOCHAIN",
  gateway: "GATEWAY", type: "TYPE", subtype: "SUBTYPE", direction: "DIR", dir: "DIR",
  address1: "ADDR1", addr1: "ADDR1", address2: "ADDR2", addr2: "ADDR2", address3: "ADDR3", addr3: "ADDR3",
  address4: "ADDR4", addr4: "ADDR4", ra: "RA", ta: "TA",
  less: "LESS", greater: "GREATER", byte: "CBYTE", broadcast: "TK_BROADCAST", multicast: "TK_MULTICAST",
  and: "AND", or: "OR", not: "!", len: "LEN", length: "LEN", inbound: "INBOUND", outbound: "OUTBOUND", ifindex: "IFINDEX",
  vlan: "VLAN", mpls: "MPLS", pppoed: "PPPOED", pppoes: "PPPOES", geneve: "GENEVE",
  lane: "LANE", llc: "LLC", metac: "METAC", bcc: "BCC", oam: "OAM", oamf4: "OAMF4", oamf4ec: "OAMF4EC", oamf4sc: "OAMF4SC",
  sc: "SC", ilmic: "ILMIC", vpi: "VPI", vci: "VCI", connectmsg: "CONNECTMSG", metaconnect: "METACONNECT",
  on: "PF_IFNAME", ifname: "PF_IFNAME", rset: "PF_RSET", ruleset: "PF_RSET", rnr: "PF_RNR", rulenum: "PF_RNR",
  srnr: "PF_SRNR", srulenum: "PF_SRNR", reason: "PF_REASON", action: "PF_ACTION",
  fisu: "FISU", lssu: "LSSU", lsu: "LSSU", msu: "MSU", hfisu: "HFISU", hlssu: "HLSSU", hmsu: "HMSU",
  sio: "SIO", opc: "OPC", dpc: "DPC", sls: "SLS", hsio: "HSIO", hopc: "HOPC", hdpc: "HDPC", hsls: "HSLS",
};

/** Names that are numbers (scanner.l): header field offsets and their values. */
export const NAMED_NUMBERS: Readonly<Record<string, number>> = {
  icmptype: 0, icmpcode: 1, "icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4, "icmp-redirect": 5,
  "icmp-echo": 8, "icmp-routeradvert": 9, "icmp-routersolicit": 10, "icmp-timxceed": 11, "icmp-paramprob": 12,
  "icmp-tstamp": 13, "icmp-tstampreply": 14, "icmp-ireq": 15, "icmp-ireqreply": 16, "icmp-maskreq": 17, "icmp-maskreply": 18,
  icmp6type: 0, icmp6code: 1, "icmp6-destinationunreach": 1, "icmp6-packettoobig": 2, "icmp6-timeexceeded": 3,
  "icmp6-parameterproblem": 4, "icmp6-echo": 128, "icmp6-echoreply": 129, "icmp6-multicastlistenerquery": 130,
  "icmp6-multicastlistenerreportv1": 131, "icmp6-multicastlistenerdone": 132, "icmp6-routersolicit": 133,
  "icmp6-routeradvert": 134, "icmp6-neighborsolicit": 135, "icmp6-neighboradvert": 136, "icmp6-redirect": 137,
  "icmp6-routerrenum": 138, "icmp6-nodeinformationquery": 139, "icmp6-nodeinformationresponse": 140,
  "icmp6-ineighbordiscoverysolicit": 141, "icmp6-ineighbordiscoveryadvert": 142, "icmp6-multicastlistenerreportv2": 143,
  "icmp6-homeagentdiscoveryrequest": 144, "icmp6-homeagentdiscoveryreply": 145, "icmp6-mobileprefixsolicit": 146,
  "icmp6-mobileprefixadvert": 147, "icmp6-certpathsolicit": 148, "icmp6-certpathadvert": 149,
  "icmp6-multicastrouteradvert": 151, "icmp6-multicastroutersolicit": 152, "icmp6-multicastrouterterm": 153,
  tcpflags: 13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08, "tcp-ack": 0x10, "tcp-urg": 0x20,
  "tcp-ece": 0x40, "tcp-cwr": 0x80,
};

const TWO_CHAR_OPS = new Map([[">=", "GEQ"], ["<=", "LEQ"], ["!=", "NEQ"], ["==", "="], ["<<", "LSH"], [">>", "RSH"], ["&&", "AND"], ["||", "OR"]]);
const ONE_CHAR_OPS = "+-*/%:[]!<>()&|^=";

const N = /^(0[xX][0-9A-Fa-f]+|[0-9]+)/;
const HID = /^([0-9]+|0[xX][0-9A-Fa-f]+)(\.([0-9]+|0[xX][0-9A-Fa-f]+)){1,3}/;
const B2 = "[0-9A-Fa-f][0-9A-Fa-f]?";
const MAC = new RegExp(`^(${B2}:${B2}:${B2}:${B2}:${B2}:${B2}|${B2}-${B2}-${B2}-${B2}-${B2}-${B2}|${B2}\\.${B2}\\.${B2}\\.${B2}\\.${B2}\\.${B2}|[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4})`);
const ID = /^[A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?/;
const V6 = /^[0-9A-Fa-f:.]+/;

/** stoulen: 0x hex, leading-0 octal, else decimal; refused past 32 bits. */
export function parseNumber(text: string, col: number): number {
  let v: number;
  if (/^0[xX]/.test(text)) v = parseInt(text.slice(2), 16);
  else if (text.length > 1 && text.startsWith("0")) {
    if (/[89]/.test(text)) throw new FilterError(`number ${text} contains non-octal digit`, text, col);
    v = parseInt(text, 8);
  } else v = parseInt(text, 10);
  if (!(v <= 0xffffffff)) throw new FilterError(`number ${text} overflows 32 bits`, text, col);
  return v;
}

/** An IPv6 address in text to its 16 bytes, or undefined (inet_pton's rules). */
export function parseIpv6(text: string): Uint8Array | undefined {
  let head = text, tail4: number[] | undefined;
  const m = text.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  if (m) {
    const parts = m[2]!.split(".").map(Number);
    if (parts.some((p, i) => p > 255 || m[2]!.split(".")[i]!.length > 3)) return undefined;
    tail4 = parts;
    head = m[1]!.endsWith("::") ? m[1]! : m[1]!.slice(0, -1);
  }
  const groupsWanted = tail4 ? 6 : 8;
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s === "" ? [] : s.split(":"));
  const left = parse(halves[0]!), right = halves.length === 2 ? parse(halves[1]!) : [];
  if ([...left, ...right].some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
  const fill = groupsWanted - left.length - right.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const groups = [...left, ...Array<string>(halves.length === 2 ? fill : 0).fill("0"), ...right].map((g) => parseInt(g, 16));
  const out = new Uint8Array(16);
  groups.forEach((g, i) => { out[i * 2] = g >> 8; out[i * 2 + 1] = g & 0xff; });
  if (tail4) out.set(tail4, 12);
  return out;
}

/** Splits an expression into tokens (the last is EOF). */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/[ \t\r\n]/.test(c)) { i++; continue; }
    const col = i + 1;
    const rest = src.slice(i);
    const two = rest.slice(0, 2);
    if (TWO_CHAR_OPS.has(two)) {
      const v = TWO_CHAR_OPS.get(two)!;
      out.push({ kind: v === "AND" || v === "OR" ? "kw" : "op", value: v, num: 0, col, text: two });
      i += 2;
      continue;
    }
    if (c === "\\") {
      const m = rest.match(/^\\[^ !()\n\t]+/);
      if (m) { out.push({ kind: "ID", value: m[0].slice(1), num: 0, col, text: m[0] }); i += m[0].length; continue; }
    }
    // Longest match among the pattern rules, earliest rule on a tie.
    const cands: { kind: TokKind | "NAMED"; len: number; text: string }[] = [];
    const lower = (s: string) => s.toLowerCase();
    const idm = rest.match(ID);
    const word = idm ? idm[0] : "";
    const wordL = lower(word);
    // keywords are matched case-insensitively? scanner.l is case-sensitive except a few; keep exact.
    if (word && KEYWORDS[word] !== undefined) cands.push({ kind: "kw", len: word.length, text: word });
    const nm = rest.match(N);
    if (nm) cands.push({ kind: "NUM", len: nm[0].length, text: nm[0] });
    // scanner.l lists the MAC forms before the dotted IPv4 ones (`0011.2233.4455` is a MAC).
    const mm = rest.match(MAC);
    if (mm) cands.push({ kind: "EID", len: mm[0].length, text: mm[0] });
    const hm = rest.match(HID);
    if (hm) cands.push({ kind: "HID", len: hm[0].length, text: hm[0] });
    const v6 = rest.match(V6);
    if (v6 && v6[0].includes(":")) {
      // The longest prefix that is an address (flex's V6 patterns only match addresses).
      for (let n = v6[0].length; n >= 2; n--) {
        if (parseIpv6(v6[0].slice(0, n))) { cands.push({ kind: "HID6", len: n, text: v6[0].slice(0, n) }); break; }
      }
    }
    if (word && NAMED_NUMBERS[word] !== undefined) cands.push({ kind: "NAMED", len: word.length, text: word });
    if (word) cands.push({ kind: "ID", len: word.length, text: word });
    void wordL;
    if (cands.length === 0) {
      if (ONE_CHAR_OPS.includes(c)) { out.push({ kind: "op", value: c, num: 0, col, text: c }); i++; continue; }
      throw new FilterError("syntax error", c, col);
    }
    let best = cands[0]!;
    for (const cand of cands) if (cand.len > best.len) best = cand;
    const text = best.text;
    i += best.len;
    switch (best.kind) {
      case "kw": {
        const v = KEYWORDS[text]!;
        out.push({ kind: v === "!" ? "op" : "kw", value: v, num: 0, col, text });
        break;
      }
      case "NUM": out.push({ kind: "NUM", value: text, num: parseNumber(text, col), col, text }); break;
      case "NAMED": out.push({ kind: "NUM", value: text, num: NAMED_NUMBERS[text]!, col, text }); break;
      default: out.push({ kind: best.kind, value: text, num: 0, col, text });
    }
  }
  out.push({ kind: "EOF", value: "", num: 0, col: src.length + 1, text: "" });
  return out;
}
