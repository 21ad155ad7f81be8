/**
 * @fileoverview Code generation for pcap-filter(7), following libpcap's gencode.c function by
 * function so that the unoptimized program is the one `tcpdump -O -d` prints: link-layer
 * offsets per link type, protocol and address tests, ports, VLAN/MPLS/PPPoE offset shifting,
 * packet-access arithmetic with scratch registers.
 */

import { BlockFactory, genAnd, genNot, genOr, type Block, type Stmt } from "./blocks.js";
import { GenError } from "./errors.js";
import { ETHER_PROTOS, LLC_SAPS, type NameResolver } from "./names.js";
import { SKF_AD_OFF, SkfAd } from "../insn.js";

// ---- qualifiers (gencode.h) ----
export const enum Q {
  Undef = 255, Default = 0,
  // address types
  Host = 1, Net, Port, Gateway, Proto, ProtoChain, PortRange,
  // protocols
  Link = 1, Ip, Arp, Rarp, Sctp, Tcp, Udp, Icmp, Igmp, Igrp, Atalk, Decnet, Lat, Sca, Moprc, Mopdl,
  Ipv6, Icmpv6, Ah, Esp, Pim, Vrrp, Aarp, Iso, Esis, Isis, Clnp, Stp, Ipx, Netbeui,
  IsisL1, IsisL2, IsisIih, IsisSnp, IsisCsnp, IsisPsnp, IsisLsp, Radio, Carp,
  // directions
  Src = 1, Dst, Or, And, Addr1, Addr2, Addr3, Addr4, Ra, Ta,
}

export interface Qual { addr: number; proto: number; dir: number }
export const QERR: Qual = { addr: Q.Undef, proto: Q.Undef, dir: Q.Undef };

/** Protocol qualifier names as libpcap prints them in messages. */
export const PROTO_NAMES: Readonly<Record<number, string>> = {
  [Q.Link]: "link", [Q.Ip]: "ip", [Q.Arp]: "arp", [Q.Rarp]: "rarp", [Q.Sctp]: "sctp", [Q.Tcp]: "tcp",
  [Q.Udp]: "udp", [Q.Icmp]: "icmp", [Q.Igmp]: "igmp", [Q.Igrp]: "igrp", [Q.Atalk]: "atalk", [Q.Decnet]: "decnet",
  [Q.Lat]: "lat", [Q.Sca]: "sca", [Q.Moprc]: "moprc", [Q.Mopdl]: "mopdl", [Q.Ipv6]: "ip6", [Q.Icmpv6]: "icmp6",
  [Q.Ah]: "ah", [Q.Esp]: "esp", [Q.Pim]: "pim", [Q.Vrrp]: "vrrp", [Q.Aarp]: "aarp", [Q.Iso]: "iso",
  [Q.Esis]: "esis", [Q.Isis]: "isis", [Q.Clnp]: "clnp", [Q.Stp]: "stp", [Q.Ipx]: "ipx", [Q.Netbeui]: "netbeui",
  [Q.IsisL1]: "l1", [Q.IsisL2]: "l2", [Q.IsisIih]: "iih", [Q.IsisSnp]: "snp", [Q.IsisCsnp]: "csnp",
  [Q.IsisPsnp]: "psnp", [Q.IsisLsp]: "lsp", [Q.Radio]: "radio", [Q.Carp]: "carp",
};

// ---- opcodes ----
const LD = 0x00, LDX = 0x01, ST = 0x02, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
const W = 0x00, H = 0x08, B = 0x10;
const IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0;
export const JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
export const ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0;
const X = 0x08, K = 0x00, TAX = 0x00;

// ---- constants ----
/** ETHERMTU */
const ETHERMTU = 1500;
const ETHERTYPE_IP = 0x0800, ETHERTYPE_ARP = 0x0806, ETHERTYPE_REVARP = 0x8035, ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_ATALK = 0x809b, ETHERTYPE_AARP = 0x80f3, ETHERTYPE_DN = 0x6003, ETHERTYPE_SCA = 0x6007;
const ETHERTYPE_LAT = 0x6004, ETHERTYPE_MOPDL = 0x6001, ETHERTYPE_MOPRC = 0x6002;
const ETHERTYPE_8021Q = 0x8100, ETHERTYPE_8021AD = 0x88a8, ETHERTYPE_8021QINQ = 0x9100;
const ETHERTYPE_MPLS = 0x8847, ETHERTYPE_PPPOED = 0x8863, ETHERTYPE_PPPOES = 0x8864;
const LLCSAP_ISONS = 0xfe, LLCSAP_IP = 0x06, LLCSAP_NETBEUI = 0xf0, LLCSAP_IPX = 0xe0, LLCSAP_8021D = 0x42;
const IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_SCTP = 132, IPPROTO_ICMP = 1, IPPROTO_IGMP = 2, IPPROTO_IGRP = 9;
const IPPROTO_PIM = 103, IPPROTO_VRRP = 112, IPPROTO_CARP = 112, IPPROTO_ICMPV6 = 58, IPPROTO_AH = 51, IPPROTO_ESP = 50;
const IPPROTO_FRAGMENT = 44, IPPROTO_HOPOPTS = 0, IPPROTO_ROUTING = 43, IPPROTO_DSTOPTS = 60, IPPROTO_NONE = 59;
const ISO9542_ESIS = 0x82, ISO10589_ISIS = 0x83, ISO8473_CLNP = 0x81;
/** PROTO_UNDEF */
const PROTO_UNDEF = -1;
/** LINUX_SLL_P_802_2, LINUX_SLL_OUTGOING, PACKET_OUTGOING */
const LINUX_SLL_P_802_2 = 4, LINUX_SLL_OUTGOING = 4, PACKET_OUTGOING = 4;
/** PPP protocol numbers for ethertypes (ethertype_to_ppptype). */
const PPP_TYPES: Readonly<Record<number, number>> = {
  [ETHERTYPE_IP]: 0x21, [ETHERTYPE_IPV6]: 0x57, [ETHERTYPE_DN]: 0x27, [ETHERTYPE_ATALK]: 0x29,
  [LLCSAP_ISONS]: 0x23, [LLCSAP_8021D]: 0x31, [LLCSAP_IPX]: 0x2b, [ETHERTYPE_MPLS]: 0x281,
};

// ---- link types (DLT_*) ----
/** DLT numbers as libpcap uses them in code generation. */
export const enum Dlt {
  Null = 0, En10mb = 1, Raw = 12, Ppp = 9, Loop = 108, LinuxSll = 113, Ipv4 = 228, Ipv6 = 229, LinuxSll2 = 276,
}
/** LINKTYPE_* numbers (in captures and `-y`) to DLT numbers. */
export function dltFromLinkType(lt: number): number {
  return lt === 101 ? Dlt.Raw : lt;
}
/** The link types the compiler supports, by tcpdump's `-y` name. */
export const LINK_NAMES: Readonly<Record<string, number>> = {
  EN10MB: Dlt.En10mb, RAW: Dlt.Raw, LINUX_SLL: Dlt.LinuxSll, LINUX_SLL2: Dlt.LinuxSll2, NULL: Dlt.Null, LOOP: Dlt.Loop,
  IPV4: Dlt.Ipv4, IPV6: Dlt.Ipv6,
};
/** pcap_datalink_val_to_description, for messages. */
const LINK_DESCRIPTIONS: Readonly<Record<number, string>> = {
  [Dlt.Null]: "BSD loopback", [Dlt.En10mb]: "Ethernet", [Dlt.Raw]: "Raw IP", [Dlt.Ppp]: "PPP", [Dlt.Loop]: "OpenBSD loopback",
  [Dlt.LinuxSll]: "Linux cooked v1", [Dlt.Ipv4]: "Raw IPv4", [Dlt.Ipv6]: "Raw IPv6", [Dlt.LinuxSll2]: "Linux cooked v2",
};

/** An offset that may have a variable part held in a scratch register (bpf_abs_offset). */
interface AbsOffset { isVariable: boolean; constantPart: number; reg: number }

/** Where a load is relative to (enum e_offrel). */
export const enum Off { Packet, LinkHdr, PrevLinkHdr, LinkType, LinkPl, LinkPlNosnap, TranIpv4, TranIpv6, Llc, PrevMplsHdr }

/** A value computed into a scratch register, with the tests it depends on (struct arth). */
export interface Arth { s: Stmt[]; regno: number; b: Block | null }

export interface GenOptions {
  linkType: number;
  snaplen: number;
  netmask: number;
  names: NameResolver;
  /** Compiling for a capture file: inbound/outbound/ifindex have no packet metadata then. */
  savefile: boolean;
  /** A NULL-link capture from a host of the other byte order. */
  swapped: boolean;
}

const BPF_MEMWORDS = 16;

export class Gen {
  readonly f = new BlockFactory();
  linktype: number;
  prevlinktype = -1;
  readonly outermostlinktype: number;
  offLinkhdr: AbsOffset = { isVariable: false, constantPart: 0, reg: -1 };
  offPrevlinkhdr: AbsOffset = { isVariable: false, constantPart: 0, reg: -1 };
  offOutermostlinkhdr: AbsOffset;
  offLinktype: AbsOffset = { isVariable: false, constantPart: 0, reg: -1 };
  offLinkpl: AbsOffset = { isVariable: false, constantPart: 0, reg: -1 };
  offNl = 0;
  offNlNosnap = 0;
  labelStackDepth = 0;
  vlanStackDepth = 0;
  isGeneve = false;
  private regused = new Array<boolean>(BPF_MEMWORDS).fill(false);
  private curreg = 0;

  constructor(readonly opts: GenOptions) {
    this.linktype = opts.linkType;
    this.outermostlinktype = opts.linkType;
    this.initLinktype(opts.linkType);
    this.offOutermostlinkhdr = { ...this.offLinkhdr };
  }

  private initLinktype(dlt: number): void {
    const set = (linktype: number, linkpl: number, nl: number, nosnap: number) => {
      this.offLinktype.constantPart = linktype;
      this.offLinkpl.constantPart = linkpl;
      this.offNl = nl;
      this.offNlNosnap = nosnap;
    };
    switch (dlt) {
      case Dlt.En10mb: set(12, 14, 0, 3); break;
      case Dlt.Null: case Dlt.Loop: set(0, 4, 0, 0); break;
      case Dlt.Raw: case Dlt.Ipv4: case Dlt.Ipv6: set(-1, 0, 0, 0); break;
      case Dlt.LinuxSll: set(14, 16, 0, 3); break;
      case Dlt.LinuxSll2: set(0, 20, 0, 3); break;
      case Dlt.Ppp: set(2, 4, 0, 0); break;
      default: throw new GenError(`unknown data link type ${dlt}`);
    }
  }

  fail(msg: string): never { throw new GenError(msg); }

  // ---- statements and blocks ----
  stmt(code: number, k = 0): Stmt { return { code, k }; }
  jmpBlock(op: number, k = 0, stmts: Stmt[] = []): Block { return this.f.block(JMP | op | K, k, stmts); }
  retBlock(v: number): Block { return this.f.block(RET | K, v); }

  allocReg(): number {
    for (let n = BPF_MEMWORDS; --n >= 0;) {
      if (this.regused[this.curreg]) this.curreg = (this.curreg + 1) % BPF_MEMWORDS;
      else { this.regused[this.curreg] = true; return this.curreg; }
    }
    this.fail("too many registers needed to evaluate expression");
  }
  freeReg(n: number): void { this.regused[n] = false; }

  // ---- loads ----
  absOffsetVarpart(off: AbsOffset): Stmt[] | null {
    if (!off.isVariable) return null;
    if (off.reg === -1) off.reg = this.allocReg();
    return [this.stmt(LDX | MEM, off.reg)];
  }

  loadAbsOffsetRel(off: AbsOffset, offset: number, size: number): Stmt[] {
    const s = this.absOffsetVarpart(off);
    if (s) { s.push(this.stmt(LD | IND | size, off.constantPart + offset)); return s; }
    return [this.stmt(LD | ABS | size, off.constantPart + offset)];
  }

  loadA(offrel: Off, offset: number, size: number): Stmt[] {
    switch (offrel) {
      case Off.Packet: return [this.stmt(LD | ABS | size, offset)];
      case Off.LinkHdr: return this.loadAbsOffsetRel(this.offLinkhdr, offset, size);
      case Off.PrevLinkHdr: return this.loadAbsOffsetRel(this.offPrevlinkhdr, offset, size);
      case Off.Llc: return this.loadAbsOffsetRel(this.offLinkpl, offset, size);
      case Off.PrevMplsHdr: return this.loadAbsOffsetRel(this.offLinkpl, this.offNl - 4 + offset, size);
      case Off.LinkPl: return this.loadAbsOffsetRel(this.offLinkpl, this.offNl + offset, size);
      case Off.LinkPlNosnap: return this.loadAbsOffsetRel(this.offLinkpl, this.offNlNosnap + offset, size);
      case Off.LinkType: return this.loadAbsOffsetRel(this.offLinktype, offset, size);
      case Off.TranIpv4: {
        const s = this.loadxIphdrlen();
        s.push(this.stmt(LD | IND | size, this.offLinkpl.constantPart + this.offNl + offset));
        return s;
      }
      case Off.TranIpv6: return this.loadAbsOffsetRel(this.offLinkpl, this.offNl + 40 + offset, size);
    }
  }

  loadxIphdrlen(): Stmt[] {
    const s = this.absOffsetVarpart(this.offLinkpl);
    if (s) {
      s.push(this.stmt(LD | IND | B, this.offLinkpl.constantPart + this.offNl), this.stmt(ALU | AND | K, 0xf),
        this.stmt(ALU | LSH | K, 2), this.stmt(ALU | ADD | X), this.stmt(MISC | TAX));
      return s;
    }
    return [this.stmt(LDX | MSH | B, this.offLinkpl.constantPart + this.offNl)];
  }

  // ---- comparisons ----
  ncmp(offrel: Off, offset: number, size: number, mask: number, jtype: number, reverse: boolean, v: number): Block {
    const s = this.loadA(offrel, offset, size);
    if ((mask >>> 0) !== 0xffffffff) s.push(this.stmt(ALU | AND | K, mask >>> 0));
    const b = this.jmpBlock(jtype, v >>> 0, s);
    if (reverse) genNot(b);
    return b;
  }
  cmp(o: Off, off: number, size: number, v: number) { return this.ncmp(o, off, size, 0xffffffff, JEQ, false, v); }
  cmpGt(o: Off, off: number, size: number, v: number) { return this.ncmp(o, off, size, 0xffffffff, JGT, false, v); }
  cmpGe(o: Off, off: number, size: number, v: number) { return this.ncmp(o, off, size, 0xffffffff, JGE, false, v); }
  cmpLt(o: Off, off: number, size: number, v: number) { return this.ncmp(o, off, size, 0xffffffff, JGE, true, v); }
  cmpLe(o: Off, off: number, size: number, v: number) { return this.ncmp(o, off, size, 0xffffffff, JGT, true, v); }
  mcmp(o: Off, off: number, size: number, v: number, mask: number) { return this.ncmp(o, off, size, mask, JEQ, false, v); }

  bcmp(offrel: Off, offset: number, size: number, v: Uint8Array): Block {
    let b: Block | null = null;
    while (size >= 4) {
      const p = size - 4;
      const tmp = this.cmp(offrel, offset + size - 4, W, ((v[p]! << 24) | (v[p + 1]! << 16) | (v[p + 2]! << 8) | v[p + 3]!) >>> 0);
      if (b) genAnd(b, tmp);
      b = tmp;
      size -= 4;
    }
    while (size >= 2) {
      const p = size - 2;
      const tmp = this.cmp(offrel, offset + size - 2, H, (v[p]! << 8) | v[p + 1]!);
      if (b) genAnd(b, tmp);
      b = tmp;
      size -= 2;
    }
    if (size > 0) {
      const tmp = this.cmp(offrel, offset, B, v[0]!);
      if (b) genAnd(b, tmp);
      b = tmp;
    }
    return b!;
  }

  uncond(rsense: boolean): Block {
    return this.jmpBlock(JEQ, 0, [this.stmt(LD | IMM, rsense ? 0 : 1)]);
  }
  genTrue() { return this.uncond(true); }
  genFalse() { return this.uncond(false); }

  // ---- link-layer types ----
  etherLinktype(ll: number): Block {
    switch (ll) {
      case LLCSAP_ISONS: case LLCSAP_IP: case LLCSAP_NETBEUI: {
        const b0 = this.cmpGt(Off.LinkType, 0, H, ETHERMTU);
        genNot(b0);
        const b1 = this.cmp(Off.Llc, 0, H, (ll << 8) | ll);
        genAnd(b0, b1);
        return b1;
      }
      case LLCSAP_IPX: {
        // 802.2 with the IPX SAP, raw 802.3 (0xFFFF), SNAP IPX, or the Ethernet type.
        let b0 = this.cmp(Off.Llc, 0, B, LLCSAP_IPX);
        const b1 = this.cmp(Off.Llc, 0, H, 0xffff);
        genOr(b0, b1);
        b0 = this.snap(0x000000, 0x8137);
        genOr(b0, b1);
        const b2 = this.cmpGt(Off.LinkType, 0, H, ETHERMTU);
        genNot(b2);
        genAnd(b2, b1);
        const b3 = this.cmp(Off.LinkType, 0, H, 0x8137);
        genOr(b3, b1);
        return b1;
      }
      case ETHERTYPE_ATALK: case ETHERTYPE_AARP: {
        const b0 = this.cmpGt(Off.LinkType, 0, H, ETHERMTU);
        genNot(b0);
        const b1 = ll === ETHERTYPE_ATALK ? this.snap(0x080007, ETHERTYPE_ATALK) : this.snap(0x000000, ETHERTYPE_AARP);
        genAnd(b0, b1);
        const b2 = this.cmp(Off.LinkType, 0, H, ll);
        genOr(b2, b1);
        return b1;
      }
      default:
        if (ll <= ETHERMTU) {
          const b0 = this.cmpGt(Off.LinkType, 0, H, ETHERMTU);
          genNot(b0);
          const b1 = this.cmp(Off.LinkType, 2, B, ll);
          genAnd(b0, b1);
          return b1;
        }
        return this.cmp(Off.LinkType, 0, H, ll);
    }
  }

  /** An 802.2 SNAP header with this OUI and type (gen_snap). */
  snap(orgcode: number, ptype: number): Block {
    const snapblock = new Uint8Array([0xaa, 0xaa, 0x03, (orgcode >> 16) & 0xff, (orgcode >> 8) & 0xff, orgcode & 0xff, (ptype >> 8) & 0xff, ptype & 0xff]);
    return this.bcmp(Off.Llc, 0, 8, snapblock);
  }

  sllLinktype(ll: number): Block {
    switch (ll) {
      case LLCSAP_ISONS: case LLCSAP_IP: case LLCSAP_NETBEUI: {
        const b0 = this.cmp(Off.LinkType, 0, H, LINUX_SLL_P_802_2);
        const b1 = this.cmp(Off.LinkHdr, this.offLinkpl.constantPart, H, (ll << 8) | ll);
        genAnd(b0, b1);
        return b1;
      }
      case LLCSAP_IPX: {
        let b0 = this.cmp(Off.Llc, 0, B, LLCSAP_IPX);
        const b1 = this.snap(0x000000, 0x8137);
        genOr(b0, b1);
        b0 = this.cmp(Off.LinkType, 0, H, LINUX_SLL_P_802_2);
        genAnd(b0, b1);
        b0 = this.cmp(Off.LinkType, 0, H, 1); // LINUX_SLL_P_802_3
        genOr(b0, b1);
        b0 = this.cmp(Off.LinkType, 0, H, 0x8137);
        genOr(b0, b1);
        return b1;
      }
      case ETHERTYPE_ATALK: case ETHERTYPE_AARP: {
        const b0 = this.cmp(Off.LinkType, 0, H, LINUX_SLL_P_802_2);
        const b1 = ll === ETHERTYPE_ATALK ? this.snap(0x080007, ETHERTYPE_ATALK) : this.snap(0x000000, ETHERTYPE_AARP);
        genAnd(b0, b1);
        const b2 = this.cmp(Off.LinkType, 0, H, ll);
        genOr(b2, b1);
        return b1;
      }
      default:
        if (ll <= ETHERMTU) {
          const b0 = this.cmp(Off.LinkType, 0, H, LINUX_SLL_P_802_2);
          const b1 = this.cmp(Off.LinkHdr, this.offLinkpl.constantPart, B, ll);
          genAnd(b0, b1);
          return b1;
        }
        return this.cmp(Off.LinkType, 0, H, ll);
    }
  }

  loopbackLinktype(family: number): Block {
    let v = family;
    if (this.linktype === Dlt.Null && !this.opts.swapped) v = bswap32(v);
    return this.cmp(Off.LinkHdr, 0, W, v >>> 0);
  }

  mplsLinktype(ll: number): Block {
    switch (ll) {
      case ETHERTYPE_IP: case 0x21: {
        const b0 = this.mcmp(Off.LinkPl, -2 >>> 0, B, 0x01, 0x01);
        const b1 = this.mcmp(Off.LinkPl, 0, B, 0x40, 0xf0);
        genAnd(b0, b1);
        return b1;
      }
      case ETHERTYPE_IPV6: case 0x57: {
        const b0 = this.mcmp(Off.LinkPl, -2 >>> 0, B, 0x01, 0x01);
        const b1 = this.mcmp(Off.LinkPl, 0, B, 0x60, 0xf0);
        genAnd(b0, b1);
        return b1;
      }
      default: this.fail("unsupported protocol over mpls");
    }
  }

  linktypeTest(ll: number): Block {
    if (this.labelStackDepth > 0) return this.mplsLinktype(ll);
    switch (this.linktype) {
      case Dlt.En10mb: return this.etherLinktype(ll);
      case Dlt.LinuxSll: return this.sllLinktype(ll);
      // SLL2 has no special cases in libpcap 1.10: its protocol field is compared as an ethertype.
      case Dlt.LinuxSll2: return this.cmp(Off.LinkType, 0, H, ll);
      case Dlt.Raw:
        if (ll === ETHERTYPE_IP) return this.mcmp(Off.LinkHdr, 0, B, 0x40, 0xf0);
        if (ll === ETHERTYPE_IPV6) return this.mcmp(Off.LinkHdr, 0, B, 0x60, 0xf0);
        return this.genFalse();
      case Dlt.Ipv4: return ll === ETHERTYPE_IP ? this.genTrue() : this.genFalse();
      case Dlt.Ipv6: return ll === ETHERTYPE_IPV6 ? this.genTrue() : this.genFalse();
      case Dlt.Null: case Dlt.Loop:
        // AF_INET 2 and AF_INET6 as this host (Linux) numbers it, 10.
        if (ll === ETHERTYPE_IP) return this.loopbackLinktype(2);
        if (ll === ETHERTYPE_IPV6) {
          if (!this.opts.savefile) return this.loopbackLinktype(10);
          // A savefile may come from any system: BSD's 24, FreeBSD's 28, Darwin's 30.
          let b0 = this.loopbackLinktype(24);
          const b1 = this.loopbackLinktype(28);
          genOr(b0, b1);
          b0 = this.loopbackLinktype(30);
          genOr(b0, b1);
          return b1;
        }
        return this.genFalse();
      case Dlt.Ppp:
        return this.cmp(Off.LinkType, 0, H, PPP_TYPES[ll] ?? ll);
      default: this.fail(`link type ${this.linktype} not supported`);
    }
  }

  // ---- protocols ----
  ipfrag(): Block {
    const s = this.loadA(Off.LinkPl, 6, H);
    const b = this.jmpBlock(JSET, 0x1fff, s);
    genNot(b);
    return b;
  }

  protoAbbrev(proto: number): Block {
    let b1: Block;
    switch (proto) {
      case Q.Sctp: return this.proto(IPPROTO_SCTP, Q.Default, Q.Default);
      case Q.Tcp: return this.proto(IPPROTO_TCP, Q.Default, Q.Default);
      case Q.Udp: return this.proto(IPPROTO_UDP, Q.Default, Q.Default);
      case Q.Icmp: return this.proto(IPPROTO_ICMP, Q.Ip, Q.Default);
      case Q.Igmp: return this.proto(IPPROTO_IGMP, Q.Ip, Q.Default);
      case Q.Igrp: return this.proto(IPPROTO_IGRP, Q.Ip, Q.Default);
      case Q.Pim: return this.proto(IPPROTO_PIM, Q.Default, Q.Default);
      case Q.Vrrp: return this.proto(IPPROTO_VRRP, Q.Ip, Q.Default);
      case Q.Carp: return this.proto(IPPROTO_CARP, Q.Ip, Q.Default);
      case Q.Ip: return this.linktypeTest(ETHERTYPE_IP);
      case Q.Arp: return this.linktypeTest(ETHERTYPE_ARP);
      case Q.Rarp: return this.linktypeTest(ETHERTYPE_REVARP);
      case Q.Link: this.fail("link layer applied in wrong context");
      case Q.Atalk: return this.linktypeTest(ETHERTYPE_ATALK);
      case Q.Aarp: return this.linktypeTest(ETHERTYPE_AARP);
      case Q.Decnet: return this.linktypeTest(ETHERTYPE_DN);
      case Q.Sca: return this.linktypeTest(ETHERTYPE_SCA);
      case Q.Lat: return this.linktypeTest(ETHERTYPE_LAT);
      case Q.Mopdl: return this.linktypeTest(ETHERTYPE_MOPDL);
      case Q.Moprc: return this.linktypeTest(ETHERTYPE_MOPRC);
      case Q.Ipv6: return this.linktypeTest(ETHERTYPE_IPV6);
      case Q.Icmpv6: return this.proto(IPPROTO_ICMPV6, Q.Ipv6, Q.Default);
      case Q.Ah: return this.proto(IPPROTO_AH, Q.Default, Q.Default);
      case Q.Esp: return this.proto(IPPROTO_ESP, Q.Default, Q.Default);
      case Q.Iso: return this.linktypeTest(LLCSAP_ISONS);
      case Q.Esis: return this.proto(ISO9542_ESIS, Q.Iso, Q.Default);
      case Q.Isis: return this.proto(ISO10589_ISIS, Q.Iso, Q.Default);
      case Q.Clnp: return this.proto(ISO8473_CLNP, Q.Iso, Q.Default);
      case Q.Stp: return this.linktypeTest(LLCSAP_8021D);
      case Q.Ipx: return this.linktypeTest(LLCSAP_IPX);
      case Q.Netbeui: return this.linktypeTest(LLCSAP_NETBEUI);
      case Q.Radio: this.fail("'radio' is not a valid protocol type");
      case Q.IsisL1: case Q.IsisL2: case Q.IsisIih: case Q.IsisLsp: case Q.IsisSnp: case Q.IsisCsnp: case Q.IsisPsnp:
        this.fail(`'${PROTO_NAMES[proto]}' is not supported here`);
      default: b1 = this.fail("unknown protocol qualifier");
    }
    return b1;
  }

  proto(v: number, proto: number, dir: number): Block {
    if (dir !== Q.Default) this.fail("direction applied to 'proto'");
    switch (proto) {
      case Q.Default: {
        const b0 = this.proto(v, Q.Ip, dir);
        const b1 = this.proto(v, Q.Ipv6, dir);
        genOr(b0, b1);
        return b1;
      }
      case Q.Link: return this.linktypeTest(v);
      case Q.Ip: {
        const b0 = this.linktypeTest(ETHERTYPE_IP);
        const b1 = this.cmp(Off.LinkPl, 9, B, v);
        genAnd(b0, b1);
        return b1;
      }
      case Q.Arp: this.fail("arp does not encapsulate another protocol");
      case Q.Rarp: this.fail("rarp does not encapsulate another protocol");
      case Q.Sctp: this.fail("'sctp proto' is bogus");
      case Q.Tcp: this.fail("'tcp proto' is bogus");
      case Q.Udp: this.fail("'udp proto' is bogus");
      case Q.Icmp: this.fail("'icmp proto' is bogus");
      case Q.Igmp: this.fail("'igmp proto' is bogus");
      case Q.Igrp: this.fail("'igrp proto' is bogus");
      case Q.Atalk: this.fail("AppleTalk encapsulation is not specifiable");
      case Q.Decnet: this.fail("DECNET encapsulation is not specifiable");
      case Q.Lat: this.fail("LAT does not encapsulate another protocol");
      case Q.Sca: this.fail("SCA does not encapsulate another protocol");
      case Q.Moprc: this.fail("MOPRC does not encapsulate another protocol");
      case Q.Mopdl: this.fail("MOPDL does not encapsulate another protocol");
      case Q.Ipv6: {
        const b0 = this.linktypeTest(ETHERTYPE_IPV6);
        let b2 = this.cmp(Off.LinkPl, 6, B, IPPROTO_FRAGMENT);
        const b1 = this.cmp(Off.LinkPl, 40, B, v);
        genAnd(b2, b1);
        b2 = this.cmp(Off.LinkPl, 6, B, v);
        genOr(b2, b1);
        genAnd(b0, b1);
        return b1;
      }
      case Q.Icmpv6: this.fail("'icmp6 proto' is bogus");
      case Q.Ah: this.fail("'ah proto' is bogus");
      case Q.Esp: this.fail("'esp proto' is bogus");
      case Q.Pim: this.fail("'pim proto' is bogus");
      case Q.Vrrp: this.fail("'vrrp proto' is bogus");
      case Q.Aarp: this.fail("'aarp proto' is bogus");
      case Q.Iso: {
        const b0 = this.linktypeTest(LLCSAP_ISONS);
        const b1 = this.cmp(Off.LinkPlNosnap, 0, B, v);
        genAnd(b0, b1);
        return b1;
      }
      case Q.Esis: this.fail("'esis proto' is bogus");
      case Q.Isis: this.fail("'isis proto' is bogus");
      case Q.Clnp: this.fail("'clnp proto' is not supported");
      case Q.Stp: this.fail("'stp proto' is bogus");
      case Q.Ipx: this.fail("'ipx proto' is bogus");
      case Q.Netbeui: this.fail("'netbeui proto' is bogus");
      case Q.Radio: this.fail("'radio proto' is bogus");
      case Q.Carp: this.fail("'carp proto' is bogus");
      default: this.fail(`'${PROTO_NAMES[proto] ?? proto} proto' is bogus`);
    }
  }

  // ---- hosts and nets ----
  hostop(addr: number, mask: number, dir: number, ll: number, srcOff: number, dstOff: number): Block {
    let offset: number;
    switch (dir) {
      case Q.Src: offset = srcOff; break;
      case Q.Dst: offset = dstOff; break;
      case Q.And: {
        const b0 = this.hostop(addr, mask, Q.Src, ll, srcOff, dstOff);
        const b1 = this.hostop(addr, mask, Q.Dst, ll, srcOff, dstOff);
        genAnd(b0, b1);
        return b1;
      }
      case Q.Default: case Q.Or: {
        const b0 = this.hostop(addr, mask, Q.Src, ll, srcOff, dstOff);
        const b1 = this.hostop(addr, mask, Q.Dst, ll, srcOff, dstOff);
        genOr(b0, b1);
        return b1;
      }
      default: this.dirError(dir, "addresses other than 802.11 MAC addresses");
    }
    const b0 = this.linktypeTest(ll);
    const b1 = this.mcmp(Off.LinkPl, offset, W, addr >>> 0, mask >>> 0);
    genAnd(b0, b1);
    return b1;
  }

  dirError(dir: number, what: string): never {
    switch (dir) {
      case Q.Addr1: this.fail(`'addr1' and 'address1' are not valid qualifiers for ${what}`);
      case Q.Addr2: this.fail(`'addr2' and 'address2' are not valid qualifiers for ${what}`);
      case Q.Addr3: this.fail(`'addr3' and 'address3' are not valid qualifiers for ${what}`);
      case Q.Addr4: this.fail(`'addr4' and 'address4' are not valid qualifiers for ${what}`);
      case Q.Ra: this.fail(`'ra' is not a valid qualifier for ${what}`);
      case Q.Ta: this.fail(`'ta' is not a valid qualifier for ${what}`);
      default: this.fail("invalid direction");
    }
  }

  hostop6(addr: Uint8Array, mask: Uint8Array, dir: number, ll: number, srcOff: number, dstOff: number): Block {
    let offset: number;
    switch (dir) {
      case Q.Src: offset = srcOff; break;
      case Q.Dst: offset = dstOff; break;
      case Q.And: {
        const b0 = this.hostop6(addr, mask, Q.Src, ll, srcOff, dstOff);
        const b1 = this.hostop6(addr, mask, Q.Dst, ll, srcOff, dstOff);
        genAnd(b0, b1);
        return b1;
      }
      case Q.Default: case Q.Or: {
        const b0 = this.hostop6(addr, mask, Q.Src, ll, srcOff, dstOff);
        const b1 = this.hostop6(addr, mask, Q.Dst, ll, srcOff, dstOff);
        genOr(b0, b1);
        return b1;
      }
      default: this.dirError(dir, "addresses other than 802.11 MAC addresses");
    }
    const word = (a: Uint8Array, i: number) => ((a[i]! << 24) | (a[i + 1]! << 16) | (a[i + 2]! << 8) | a[i + 3]!) >>> 0;
    const b1 = this.mcmp(Off.LinkPl, offset + 12, W, word(addr, 12), word(mask, 12));
    let b0 = this.mcmp(Off.LinkPl, offset + 8, W, word(addr, 8), word(mask, 8));
    genAnd(b0, b1);
    b0 = this.mcmp(Off.LinkPl, offset + 4, W, word(addr, 4), word(mask, 4));
    genAnd(b0, b1);
    b0 = this.mcmp(Off.LinkPl, offset, W, word(addr, 0), word(mask, 0));
    genAnd(b0, b1);
    b0 = this.linktypeTest(ll);
    genAnd(b0, b1);
    return b1;
  }

  host(addr: number, mask: number, proto: number, dir: number, type: number): Block {
    const typestr = type === Q.Net ? "net" : "host";
    switch (proto) {
      case Q.Default: {
        let b0 = this.host(addr, mask, Q.Ip, dir, type);
        if (this.labelStackDepth === 0) {
          const b1 = this.host(addr, mask, Q.Arp, dir, type);
          genOr(b0, b1);
          b0 = this.host(addr, mask, Q.Rarp, dir, type);
          genOr(b1, b0);
        }
        return b0;
      }
      case Q.Link: this.fail(`link-layer modifier applied to ${typestr}`);
      case Q.Ip: return this.hostop(addr, mask, dir, ETHERTYPE_IP, 12, 16);
      case Q.Rarp: return this.hostop(addr, mask, dir, ETHERTYPE_REVARP, 14, 24);
      case Q.Arp: return this.hostop(addr, mask, dir, ETHERTYPE_ARP, 14, 24);
      case Q.Atalk: this.fail("AppleTalk host filtering not implemented");
      case Q.Decnet: this.fail("DECnet host filtering not implemented here");
      case Q.Ipv6: this.fail(`'ip6' modifier applied to ip ${typestr}`);
      case Q.Iso: this.fail("ISO host filtering not implemented");
      default: this.fail(`'${PROTO_NAMES[proto]}' modifier applied to ${typestr}`);
    }
  }

  host6(addr: Uint8Array, mask: Uint8Array, proto: number, dir: number, type: number): Block {
    const typestr = type === Q.Net ? "net" : "host";
    switch (proto) {
      case Q.Default: case Q.Ipv6: return this.hostop6(addr, mask, dir, ETHERTYPE_IPV6, 8, 24);
      case Q.Link: this.fail(`link-layer modifier applied to ip6 ${typestr}`);
      case Q.Atalk: this.fail("AppleTalk host filtering not implemented");
      case Q.Iso: this.fail("ISO host filtering not implemented");
      default: this.fail(`'${PROTO_NAMES[proto]}' modifier applied to ip6 ${typestr}`);
    }
  }

  ehostop(eaddr: Uint8Array, dir: number): Block {
    switch (dir) {
      case Q.Src: return this.bcmp(Off.LinkHdr, 6, 6, eaddr);
      case Q.Dst: return this.bcmp(Off.LinkHdr, 0, 6, eaddr);
      case Q.And: {
        const b0 = this.ehostop(eaddr, Q.Src);
        const b1 = this.ehostop(eaddr, Q.Dst);
        genAnd(b0, b1);
        return b1;
      }
      case Q.Default: case Q.Or: {
        const b0 = this.ehostop(eaddr, Q.Src);
        const b1 = this.ehostop(eaddr, Q.Dst);
        genOr(b0, b1);
        return b1;
      }
      case Q.Addr1: this.fail("'addr1' and 'address1' are only supported on 802.11 with 802.11 headers");
      case Q.Addr2: this.fail("'addr2' and 'address2' are only supported on 802.11 with 802.11 headers");
      case Q.Addr3: this.fail("'addr3' and 'address3' are only supported on 802.11 with 802.11 headers");
      case Q.Addr4: this.fail("'addr4' and 'address4' are only supported on 802.11 with 802.11 headers");
      case Q.Ra: this.fail("'ra' is only supported on 802.11 with 802.11 headers");
      case Q.Ta: this.fail("'ta' is only supported on 802.11 with 802.11 headers");
      default: this.fail("invalid direction");
    }
  }

  ecode(eaddr: Uint8Array, q: Qual): Block {
    if ((q.addr === Q.Host || q.addr === Q.Default) && q.proto === Q.Link) {
      if (this.linktype !== Dlt.En10mb) this.fail("ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel");
      const tmp = this.prevlinkhdrCheck();
      const b = this.ehostop(eaddr, q.dir);
      if (tmp) genAnd(tmp, b);
      return b;
    }
    this.fail("ethernet address used in non-ether expression");
  }

  // ---- ports ----
  portatom(off: number, v: number) { return this.cmp(Off.TranIpv4, off, H, v); }
  portatom6(off: number, v: number) { return this.cmp(Off.TranIpv6, off, H, v); }

  private dirPair(dir: number, atom: (off: number) => Block, what: string): Block {
    switch (dir) {
      case Q.Src: return atom(0);
      case Q.Dst: return atom(2);
      case Q.And: { const t = atom(0); const b1 = atom(2); genAnd(t, b1); return b1; }
      case Q.Default: case Q.Or: { const t = atom(0); const b1 = atom(2); genOr(t, b1); return b1; }
      default: this.dirError(dir, what);
    }
  }

  portop(port: number, proto: number, dir: number): Block {
    const tmp = this.cmp(Off.LinkPl, 9, B, proto);
    const b0 = this.ipfrag();
    genAnd(tmp, b0);
    const b1 = this.dirPair(dir, (off) => this.portatom(off, port), "ports");
    genAnd(b0, b1);
    return b1;
  }

  portop6(port: number, proto: number, dir: number): Block {
    const b0 = this.cmp(Off.LinkPl, 6, B, proto);
    const b1 = this.dirPair(dir, (off) => this.portatom6(off, port), "ports");
    genAnd(b0, b1);
    return b1;
  }

  private anyProto(ipProto: number, op: (p: number) => Block): Block {
    switch (ipProto) {
      case IPPROTO_UDP: case IPPROTO_TCP: case IPPROTO_SCTP: return op(ipProto);
      case PROTO_UNDEF: {
        let tmp = op(IPPROTO_TCP);
        const b1 = op(IPPROTO_UDP);
        genOr(tmp, b1);
        tmp = op(IPPROTO_SCTP);
        genOr(tmp, b1);
        return b1;
      }
      default: this.fail("bad port protocol");
    }
  }

  port(port: number, ipProto: number, dir: number): Block {
    const b0 = this.linktypeTest(ETHERTYPE_IP);
    const b1 = this.anyProto(ipProto, (p) => this.portop(port, p, dir));
    genAnd(b0, b1);
    return b1;
  }

  port6(port: number, ipProto: number, dir: number): Block {
    const b0 = this.linktypeTest(ETHERTYPE_IPV6);
    const b1 = this.anyProto(ipProto, (p) => this.portop6(port, p, dir));
    genAnd(b0, b1);
    return b1;
  }

  portrangeatom(off: number, v1: number, v2: number, six: boolean): Block {
    if (v1 > v2) [v1, v2] = [v2, v1];
    const o = six ? Off.TranIpv6 : Off.TranIpv4;
    const b1 = this.cmpGe(o, off, H, v1);
    const b2 = this.cmpLe(o, off, H, v2);
    genAnd(b1, b2);
    return b2;
  }

  portrangeop(p1: number, p2: number, proto: number, dir: number): Block {
    const tmp = this.cmp(Off.LinkPl, 9, B, proto);
    const b0 = this.ipfrag();
    genAnd(tmp, b0);
    const b1 = this.dirPair(dir, (off) => this.portrangeatom(off, p1, p2, false), "port ranges");
    genAnd(b0, b1);
    return b1;
  }

  portrangeop6(p1: number, p2: number, proto: number, dir: number): Block {
    const b0 = this.cmp(Off.LinkPl, 6, B, proto);
    const b1 = this.dirPair(dir, (off) => this.portrangeatom(off, p1, p2, true), "port ranges");
    genAnd(b0, b1);
    return b1;
  }

  portrange(p1: number, p2: number, ipProto: number, dir: number): Block {
    const b0 = this.linktypeTest(ETHERTYPE_IP);
    const b1 = this.anyProto(ipProto, (p) => this.portrangeop(p1, p2, p, dir));
    genAnd(b0, b1);
    return b1;
  }

  portrange6(p1: number, p2: number, ipProto: number, dir: number): Block {
    const b0 = this.linktypeTest(ETHERTYPE_IPV6);
    const b1 = this.anyProto(ipProto, (p) => this.portrangeop6(p1, p2, p, dir));
    genAnd(b0, b1);
    return b1;
  }

  // ---- the qualifier dispatchers (gen_ncode, gen_scode, gen_mcode, gen_mcode6) ----
  ncode(s: string | null, v: number, q: Qual): Block {
    const { proto, dir } = q;
    let vlen: number;
    if (s === null) vlen = 32;
    else if (proto === Q.Decnet) this.fail("DECnet addresses are not supported here");
    else {
      const r = atoin(s);
      if (!r) this.fail(`invalid IPv4 address '${s}'`);
      v = r.addr;
      vlen = r.len;
    }
    switch (q.addr) {
      case Q.Default: case Q.Host: case Q.Net: {
        if (proto === Q.Link) this.fail("illegal link layer address");
        let mask = 0xffffffff;
        if (s === null && q.addr === Q.Net) {
          while (v && (v & 0xff000000) === 0) { v = (v << 8) >>> 0; mask = (mask << 8) >>> 0; }
        } else {
          v = vlen >= 32 ? v >>> 0 : (v << (32 - vlen)) >>> 0;
          mask = vlen >= 32 ? mask : (mask << (32 - vlen)) >>> 0;
        }
        return this.host(v, mask, proto, dir, q.addr);
      }
      case Q.Port: case Q.PortRange: {
        const what = q.addr === Q.Port ? "port" : "portrange";
        const p = proto === Q.Udp ? IPPROTO_UDP : proto === Q.Tcp ? IPPROTO_TCP : proto === Q.Sctp ? IPPROTO_SCTP
          : proto === Q.Default ? PROTO_UNDEF : this.fail(`illegal qualifier of '${what}'`);
        if (v > 65535) this.fail(`illegal port number ${v} > 65535`);
        if (q.addr === Q.Port) {
          const b = this.port(v, p, dir);
          genOr(this.port6(v, p, dir), b);
          return b;
        }
        const b = this.portrange(v, v, p, dir);
        genOr(this.portrange6(v, v, p, dir), b);
        return b;
      }
      case Q.Gateway: this.fail("'gateway' requires a name");
      case Q.Proto: return this.proto(v, proto, dir);
      case Q.ProtoChain: return this.protochain(v, proto);
      case Q.Undef: this.fail("syntax error in filter expression");
      default: this.fail("syntax error in filter expression");
    }
  }

  mcode(s1: string, s2: string | null, masklen: number, q: Qual): Block {
    const n = atoin(s1);
    if (!n) this.fail(`invalid IPv4 address '${s1}'`);
    const addr = n.len >= 32 ? n.addr : (n.addr << (32 - n.len)) >>> 0;
    let m: number;
    if (s2 !== null) {
      const mm = atoin(s2);
      if (!mm) this.fail(`invalid IPv4 address '${s2}'`);
      m = mm.len >= 32 ? mm.addr : (mm.addr << (32 - mm.len)) >>> 0;
      if ((addr & ~m) !== 0) this.fail(`non-network bits set in "${s1} mask ${s2}"`);
    } else {
      if (masklen > 32) this.fail("mask length must be <= 32");
      m = masklen === 0 ? 0 : (0xffffffff << (32 - masklen)) >>> 0;
      if ((addr & ~m) !== 0) this.fail(`non-network bits set in "${s1}/${masklen}"`);
    }
    if (q.addr === Q.Net) return this.host(addr, m, q.proto, q.dir, q.addr);
    this.fail("Mask syntax for networks only");
  }

  mcode6(s: string, addr: Uint8Array, masklen: number, q: Qual): Block {
    if (masklen > 128) this.fail("mask length must be <= 128");
    const mask = new Uint8Array(16);
    mask.fill(0xff, 0, masklen >> 3);
    if (masklen % 8) mask[masklen >> 3] = (0xff << (8 - (masklen % 8))) & 0xff;
    for (let i = 0; i < 16; i++) if (addr[i]! & ~mask[i]!) this.fail(`non-network bits set in "${s}/${masklen}"`);
    switch (q.addr) {
      case Q.Default: case Q.Host: case Q.Net:
        if (q.addr !== Q.Net && masklen !== 128) this.fail("Mask syntax for networks only");
        return this.host6(addr, mask, q.proto, q.dir, q.addr);
      default: this.fail("invalid qualifier against IPv6 address");
    }
  }

  lookupProto(name: string, proto: number): number {
    switch (proto) {
      case Q.Default: case Q.Ip: case Q.Ipv6: {
        const v = this.opts.names.protocol(name);
        if (v === undefined) this.fail(`unknown ip proto '${name}'`);
        return v;
      }
      case Q.Link: {
        const v = ETHER_PROTOS[name] ?? LLC_SAPS[name];
        if (v === undefined) this.fail(`unknown ether proto '${name}'`);
        return v;
      }
      case Q.Iso:
        if (name === "esis") return ISO9542_ESIS;
        if (name === "isis") return ISO10589_ISIS;
        if (name === "clnp") return ISO8473_CLNP;
        this.fail(`unknown osi proto '${name}'`);
      default: return PROTO_UNDEF;
    }
  }

  /** pcap_nametoport: a service's port, and the protocol if only one has it. */
  private nameToPort(name: string): { port: number; proto: number } | undefined {
    const svc = this.opts.names.service(name);
    if (svc && (svc.tcp !== undefined || svc.udp !== undefined || svc.sctp !== undefined)) {
      const { tcp, udp, sctp } = svc;
      if (tcp !== undefined) {
        if (udp !== undefined && udp !== tcp) return { port: tcp, proto: IPPROTO_TCP };
        return { port: tcp, proto: udp !== undefined ? PROTO_UNDEF : IPPROTO_TCP };
      }
      if (udp !== undefined) return { port: udp, proto: IPPROTO_UDP };
      return { port: sctp!, proto: IPPROTO_SCTP };
    }
    const v = /^\d+$/.test(name) ? Number(name) : undefined;
    return v !== undefined ? { port: v, proto: PROTO_UNDEF } : undefined;
  }

  private checkPortProto(name: string, proto: number, real: number): number {
    const n = (p: number) => (p === IPPROTO_TCP ? "tcp" : p === IPPROTO_UDP ? "udp" : "sctp");
    const want = proto === Q.Udp ? IPPROTO_UDP : proto === Q.Tcp ? IPPROTO_TCP : proto === Q.Sctp ? IPPROTO_SCTP : 0;
    if (!want) return real;
    if (real !== PROTO_UNDEF && real !== want) this.fail(`port '${name}' is ${n(real)}`);
    return want;
  }

  scode(name: string, q: Qual): Block {
    const { proto, dir } = q;
    switch (q.addr) {
      case Q.Net: {
        const v = this.opts.names.network?.(name);
        if (!v) this.fail(`unknown network '${name}'`);
        let addr = v, mask = 0xffffffff;
        while (addr && (addr & 0xff000000) === 0) { addr = (addr << 8) >>> 0; mask = (mask << 8) >>> 0; }
        return this.host(addr, mask, proto, dir, q.addr);
      }
      case Q.Default: case Q.Host: {
        if (proto === Q.Link) {
          if (this.linktype !== Dlt.En10mb) this.fail("only ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel supports link-level host name");
          const e = this.opts.names.ether?.(name);
          if (!e) this.fail(`unknown ether host '${name}'`);
          const tmp = this.prevlinkhdrCheck();
          const b = this.ehostop(e, dir);
          if (tmp) genAnd(tmp, b);
          return b;
        }
        if (proto === Q.Decnet) this.fail(`unknown decnet host name '${name}'`);
        const v4 = this.opts.names.host?.(name) ?? [];
        const v6 = this.opts.names.host6?.(name) ?? [];
        if (v4.length === 0 && v6.length === 0) this.fail(`unknown host '${name}'`);
        let b: Block | null = null;
        const tproto = proto;
        for (const a of v4) {
          if (tproto !== Q.Default && tproto !== Q.Ip && tproto !== Q.Arp && tproto !== Q.Rarp && tproto !== Q.Ipv6) continue;
          if (tproto === Q.Ipv6) continue;
          const tmp = this.host(a, 0xffffffff, tproto, dir, q.addr);
          if (b) genOr(b, tmp);
          b = tmp;
        }
        for (const a of v6) {
          if (tproto !== Q.Default && tproto !== Q.Ipv6) continue;
          const tmp = this.host6(a, new Uint8Array(16).fill(0xff), tproto, dir, q.addr);
          if (b) genOr(b, tmp);
          b = tmp;
        }
        if (!b) this.fail(`unknown host '${name}'${tproto === Q.Ipv6 ? " for specified address family" : ""}`);
        return b;
      }
      case Q.Port: {
        if (proto !== Q.Default && proto !== Q.Udp && proto !== Q.Tcp && proto !== Q.Sctp) this.fail("illegal qualifier of 'port'");
        const r = this.nameToPort(name);
        if (!r) this.fail(`unknown port '${name}'`);
        const real = this.checkPortProto(name, proto, r.proto);
        if (r.port > 65535) this.fail(`illegal port number ${r.port} > 65535`);
        const b = this.port(r.port, real, dir);
        genOr(this.port6(r.port, real, dir), b);
        return b;
      }
      case Q.PortRange: {
        if (proto !== Q.Default && proto !== Q.Udp && proto !== Q.Tcp && proto !== Q.Sctp) this.fail("illegal qualifier of 'portrange'");
        const dash = name.indexOf("-");
        if (dash < 0) this.fail(`unknown port in range '${name}'`);
        const a = this.nameToPort(name.slice(0, dash)), c = this.nameToPort(name.slice(dash + 1));
        if (!a || !c) this.fail(`unknown port in range '${name}'`);
        let real = a.proto !== c.proto ? PROTO_UNDEF : a.proto;
        real = this.checkPortProto(name, proto, real);
        if (a.port > 65535) this.fail(`illegal port number ${a.port} > 65535`);
        if (c.port > 65535) this.fail(`illegal port number ${c.port} > 65535`);
        const b = this.portrange(a.port, c.port, real, dir);
        genOr(this.portrange6(a.port, c.port, real, dir), b);
        return b;
      }
      case Q.Gateway: {
        // libpcap built with IPv6 (as Debian's is) refuses 'gateway' whatever the name.
        // gateway() below is what an IPv4-only libpcap would generate.
        return this.fail("'gateway' not supported in this configuration");
      }
      case Q.Proto: {
        const v = this.lookupProto(name, proto);
        if (v < 0) this.fail(`unknown protocol: ${name}`);
        return this.proto(v, proto, dir);
      }
      case Q.ProtoChain: {
        const v = this.lookupProto(name, proto);
        if (v < 0) this.fail(`unknown protocol: ${name}`);
        return this.protochain(v, proto);
      }
      default: this.fail("syntax error in filter expression");
    }
  }

  gateway(eaddr: Uint8Array, alist: number[], proto: number): Block {
    if (proto !== Q.Default && proto !== Q.Ip && proto !== Q.Arp && proto !== Q.Rarp) this.fail("illegal modifier of 'gateway'");
    if (this.linktype !== Dlt.En10mb) this.fail("'gateway' supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel");
    const b0 = this.ehostop(eaddr, Q.Or);
    let b1 = this.host(alist[0]!, 0xffffffff, proto, Q.Or, Q.Host);
    for (const a of alist.slice(1)) {
      const tmp = this.host(a, 0xffffffff, proto, Q.Or, Q.Host);
      genOr(b1, tmp);
      b1 = tmp;
    }
    genNot(b1);
    genAnd(b0, b1);
    return b1;
  }

  /**
   * gen_protochain: follows IPv6 extension headers and AH up to the protocol wanted, in one
   * block with jumps inside it, the two `ja` going backwards as libpcap's own interpreter
   * allows (a kernel socket filter would refuse the program, as it refuses libpcap's).
   */
  protochain(v: number, proto: number): Block {
    const reg2 = this.allocReg();
    if (proto === Q.Default) {
      const b0 = this.protochain(v, Q.Ip);
      const b = this.protochain(v, Q.Ipv6);
      genOr(b0, b);
      return b;
    }
    if (proto !== Q.Ip && proto !== Q.Ipv6) this.fail("bad protocol applied for 'protochain'");
    if (this.offLinkpl.isVariable) this.fail("'protochain' not supported with variable length headers");
    this.noOptimize = true;
    const nl = this.offLinkpl.constantPart + this.offNl;
    const s: Stmt[] = [this.stmt(0)]; // s[0]: libpcap's dummy, not emitted
    let b0: Block;
    if (proto === Q.Ip) {
      b0 = this.linktypeTest(ETHERTYPE_IP);
      s.push(this.stmt(LD | ABS | B, nl + 9), this.stmt(LDX | MSH | B, nl));
    } else {
      b0 = this.linktypeTest(ETHERTYPE_IPV6);
      s.push(this.stmt(LD | ABS | B, nl + 6), this.stmt(LDX | IMM, 40));
    }
    const again = s.length;
    const fix5 = s.push(this.stmt(JMP | JEQ | K, v)) - 1;
    const fix2 = s.push(this.stmt(JMP | JEQ | K, IPPROTO_NONE)) - 1;
    s[fix5]!.jf = s[fix2];
    let fix3 = 0;
    if (proto === Q.Ipv6) {
      const v6start = s.length;
      for (const next of [IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING, IPPROTO_FRAGMENT]) {
        const j = this.stmt(JMP | JEQ | K, next);
        s[s.length - 1]!.jf = j;
        s.push(j);
      }
      fix3 = s.length - 1;
      const v6end = fix3;
      const v6advance = s.length;
      s.push(this.stmt(LD | IND | B, nl), this.stmt(ST, reg2), this.stmt(LD | IND | B, nl + 1), this.stmt(ALU | ADD | K, 1),
        this.stmt(ALU | MUL | K, 8), this.stmt(ALU | ADD | X), this.stmt(MISC | TAX), this.stmt(LD | MEM, reg2));
      const i = s.length;
      s.push(this.stmt(JMP | 0x00, (again - i - 1) >>> 0));
      s[i - 1]!.jf = s[i];
      for (let j = v6start; j <= v6end; j++) s[j]!.jt = s[v6advance];
    } else {
      const nop = this.stmt(ALU | ADD | K, 0);
      s[fix2]!.jf = nop;
      s.push(nop);
    }
    const ahcheck = s.length;
    s.push(this.stmt(JMP | JEQ | K, IPPROTO_AH));
    if (fix3) s[fix3]!.jf = s[ahcheck];
    const fix4 = ahcheck;
    const txa1 = this.stmt(MISC | 0x80);
    s[s.length - 1]!.jt = txa1;
    s.push(txa1, this.stmt(LD | IND | B, nl), this.stmt(ST, reg2));
    const txa2 = this.stmt(MISC | 0x80);
    s[s.length - 1]!.jt = txa2;
    s.push(txa2, this.stmt(ALU | ADD | K, 1), this.stmt(MISC | TAX), this.stmt(LD | IND | B, nl), this.stmt(ALU | ADD | K, 2),
      this.stmt(ALU | MUL | K, 4), this.stmt(MISC | TAX), this.stmt(LD | MEM, reg2));
    const i = s.length;
    s.push(this.stmt(JMP | 0x00, (again - i - 1) >>> 0));
    const end = this.stmt(ALU | ADD | K, 0);
    s.push(end);
    s[fix2]!.jt = end;
    s[fix4]!.jf = end;
    s[fix5]!.jt = end;
    const b = this.jmpBlock(JEQ, v, s.slice(1));
    this.freeReg(reg2);
    genAnd(b0, b);
    return b;
  }

  // ---- other primitives ----
  broadcast(proto: number): Block {
    switch (proto) {
      case Q.Default: case Q.Link:
        if (this.linktype === Dlt.En10mb) {
          const tmp = this.prevlinkhdrCheck();
          const b = this.ehostop(new Uint8Array(6).fill(0xff), Q.Dst);
          if (tmp) genAnd(tmp, b);
          return b;
        }
        this.fail("not a broadcast link");
      case Q.Ip: {
        if (this.opts.netmask >>> 0 === 0xffffffff) this.fail("netmask not known, so 'ip broadcast' not supported");
        const b0 = this.linktypeTest(ETHERTYPE_IP);
        const hostmask = ~this.opts.netmask >>> 0;
        const b1 = this.mcmp(Off.LinkPl, 16, W, 0, hostmask);
        const b2 = this.mcmp(Off.LinkPl, 16, W, hostmask, hostmask);
        genOr(b1, b2);
        genAnd(b0, b2);
        return b2;
      }
    }
    this.fail("only link-layer/IP broadcast filters supported");
  }

  multicast(proto: number): Block {
    switch (proto) {
      case Q.Default: case Q.Link:
        if (this.linktype === Dlt.En10mb) {
          const tmp = this.prevlinkhdrCheck();
          const b = this.jmpBlock(JSET, 1, this.loadA(Off.LinkHdr, 0, B));
          if (tmp) genAnd(tmp, b);
          return b;
        }
        break;
      case Q.Ip: {
        const b0 = this.linktypeTest(ETHERTYPE_IP);
        const b1 = this.cmpGe(Off.LinkPl, 16, B, 224);
        genAnd(b0, b1);
        return b1;
      }
      case Q.Ipv6: {
        const b0 = this.linktypeTest(ETHERTYPE_IPV6);
        const b1 = this.cmp(Off.LinkPl, 24, B, 255);
        genAnd(b0, b1);
        return b1;
      }
    }
    this.fail("link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel");
  }

  len(jmp: number, n: number): Block { return this.jmpBlock(jmp, n, [this.stmt(LD | W | LEN)]); }
  less(n: number): Block { const b = this.len(JGT, n); genNot(b); return b; }
  greater(n: number): Block { return this.len(JGE, n); }

  byteop(op: string, idx: number, val: number): Block {
    switch (op) {
      case "=": return this.cmp(Off.LinkHdr, idx, B, val);
      case "<": return this.cmpLt(Off.LinkHdr, idx, B, val);
      case ">": return this.cmpGt(Off.LinkHdr, idx, B, val);
    }
    // libpcap loads nothing before the mask here; kept as it is so that programs agree.
    const s = this.stmt(ALU | (op === "|" ? OR : AND) | K, val);
    const b = this.jmpBlock(JEQ, 0, [s]);
    genNot(b);
    return b;
  }

  inbound(outbound: boolean): Block {
    let b0: Block;
    switch (this.linktype) {
      case Dlt.LinuxSll: b0 = this.cmp(Off.LinkHdr, 0, H, LINUX_SLL_OUTGOING); break;
      case Dlt.LinuxSll2: b0 = this.cmp(Off.LinkHdr, 10, B, LINUX_SLL_OUTGOING); break;
      default:
        if (this.opts.savefile) this.fail(`inbound/outbound not supported on ${LINK_DESCRIPTIONS[this.linktype]} when reading savefiles`);
        b0 = this.cmp(Off.LinkHdr, (SKF_AD_OFF + SkfAd.PktType) >>> 0, H, PACKET_OUTGOING);
    }
    if (!outbound) genNot(b0);
    return b0;
  }

  ifindex(ifindex: number): Block {
    if (this.linktype === Dlt.LinuxSll2) return this.cmp(Off.LinkHdr, 4, W, ifindex);
    if (this.opts.savefile) this.fail(`ifindex not supported on ${LINK_DESCRIPTIONS[this.linktype]} when reading savefiles`);
    return this.cmp(Off.LinkHdr, (SKF_AD_OFF + SkfAd.Ifindex) >>> 0, W, ifindex);
  }

  vlan(vlanNum: number, hasTag: boolean): Block {
    if (this.labelStackDepth > 0) this.fail("no VLAN match after MPLS");
    if (this.linktype !== Dlt.En10mb) this.fail(`no VLAN support for ${LINK_DESCRIPTIONS[this.linktype]}`);
    let b0 = this.linktypeTest(ETHERTYPE_8021Q);
    let b1 = this.linktypeTest(ETHERTYPE_8021AD);
    genOr(b0, b1);
    b0 = b1;
    b1 = this.linktypeTest(ETHERTYPE_8021QINQ);
    genOr(b0, b1);
    b0 = b1;
    if (hasTag) {
      if (vlanNum > 0x0fff) this.fail(`VLAN tag ${vlanNum} greater than maximum 4095`);
      const t = this.mcmp(Off.LinkPl, 0, H, vlanNum, 0x0fff);
      genAnd(b0, t);
      b0 = t;
    }
    this.offLinkpl.constantPart += 4;
    this.offLinktype.constantPart += 4;
    this.vlanStackDepth++;
    return b0;
  }

  mpls(label: number, hasLabel: boolean): Block {
    let b0: Block;
    if (this.labelStackDepth > 0) b0 = this.mcmp(Off.PrevMplsHdr, 2, B, 0, 0x01);
    else if (this.linktype === Dlt.En10mb) b0 = this.linktypeTest(ETHERTYPE_MPLS);
    else if (this.linktype === Dlt.Ppp) b0 = this.linktypeTest(ETHERTYPE_MPLS);
    else this.fail(`no MPLS support for ${LINK_DESCRIPTIONS[this.linktype]}`);
    if (hasLabel) {
      if (label > 0xfffff) this.fail(`MPLS label ${label} greater than maximum 1048575`);
      const b1 = this.mcmp(Off.LinkPl, 0, W, (label << 12) >>> 0, 0xfffff000);
      genAnd(b0, b1);
      b0 = b1;
    }
    this.offNlNosnap += 4;
    this.offNl += 4;
    this.labelStackDepth++;
    return b0;
  }

  pppoed(): Block { return this.linktypeTest(ETHERTYPE_PPPOED); }

  pppoes(sess: number, hasSess: boolean): Block {
    let b0 = this.linktypeTest(ETHERTYPE_PPPOES);
    if (hasSess) {
      if (sess > 0xffff) this.fail(`PPPoE session number ${sess} greater than maximum 65535`);
      const b1 = this.mcmp(Off.LinkPl, 0, W, sess, 0x0000ffff);
      genAnd(b0, b1);
      b0 = b1;
    }
    // PUSH_LINKHDR: the PPP header starts 6 bytes past the PPPoE header.
    this.prevlinktype = this.linktype;
    this.offPrevlinkhdr = { ...this.offLinkhdr };
    this.linktype = Dlt.Ppp;
    this.offLinkhdr = { isVariable: this.offLinkpl.isVariable, constantPart: this.offLinkpl.constantPart + this.offNl + 6, reg: this.offLinkpl.reg };
    this.isGeneve = false;
    this.offLinktype = { ...this.offLinkhdr };
    this.offLinkpl = { ...this.offLinkpl, constantPart: this.offLinkhdr.constantPart + 2 };
    this.offNl = 0;
    this.offNlNosnap = 0;
    return b0;
  }

  /**
   * gen_prevlinkhdr_check: inside Geneve, an Ethernet test first needs an Ethernet header
   * (the link header and payload registers differ); elsewhere nothing.
   */
  prevlinkhdrCheck(): Block | null {
    if (!this.isGeneve) return null;
    const b0 = this.f.block(JMP | JEQ | X, 0, [this.stmt(LD | MEM, this.offLinkhdr.reg), this.stmt(LDX | MEM, this.offLinkpl.reg)]);
    genNot(b0);
    return b0;
  }

  /** Set by geneve: its in-block jump keeps libpcap's optimizer away, and so ours. */
  noOptimize = false;

  private geneveCheck(six: boolean, vni: number, has: boolean): Block {
    const o = six ? Off.TranIpv6 : Off.TranIpv4;
    let b0 = six ? this.port6(6081, IPPROTO_UDP, Q.Dst) : this.port(6081, IPPROTO_UDP, Q.Dst);
    let b1 = this.mcmp(o, 8, B, 0, 0xc0);
    genAnd(b0, b1);
    b0 = b1;
    if (has) {
      b1 = this.mcmp(o, 12, W, (vni << 8) >>> 0, 0xffffff00);
      genAnd(b0, b1);
      b0 = b1;
    }
    return b0;
  }

  geneve(vni: number, has: boolean): Block {
    if (has && vni > 0xffffff) this.fail(`Geneve VNI ${vni} greater than maximum 16777215`);
    // gen_geneve4: the IPv4 header length into A, through an always-true block.
    let b0 = this.geneveCheck(false, vni, has);
    const s4 = this.loadxIphdrlen();
    s4.push(this.stmt(MISC | 0x80));
    let b1 = this.f.block(JMP | JEQ | X, 0, s4);
    genAnd(b0, b1);
    const g4 = b1;
    // gen_geneve6: 40 (plus any variable prefix) into A.
    b0 = this.geneveCheck(true, vni, has);
    let s6 = this.absOffsetVarpart(this.offLinkpl);
    if (s6) s6.push(this.stmt(LD | IMM, 40), this.stmt(ALU | ADD | X));
    else s6 = [this.stmt(LD | IMM, 40)];
    s6.push(this.stmt(MISC | TAX));
    b1 = this.f.block(JMP | JEQ | X, 0, s6);
    genAnd(b0, b1);
    genOr(g4, b1);
    b0 = b1;
    const s = this.geneveOffsets();
    b1 = this.genTrue();
    s.push(...b1.stmts);
    b1.stmts = s;
    genAnd(b0, b1);
    this.isGeneve = true;
    return b1;
  }

  /** gen_geneve_offsets: the inner frame's link header, type and payload offsets into registers. */
  private geneveOffsets(): Stmt[] {
    const s: Stmt[] = [this.stmt(ALU | ADD | K, this.offLinkpl.constantPart + this.offNl + 8), this.stmt(MISC | TAX), this.stmt(ALU | ADD | K, 2)];
    this.offLinktype = { reg: this.allocReg(), isVariable: true, constantPart: 0 };
    s.push(this.stmt(ST, this.offLinktype.reg), this.stmt(LD | IND | B, 0), this.stmt(ALU | AND | K, 0x3f), this.stmt(ALU | MUL | K, 4),
      this.stmt(ALU | ADD | K, 8), this.stmt(ALU | ADD | X));
    // PUSH_LINKHDR(DLT_EN10MB, variable, 0, a new register)
    this.prevlinktype = this.linktype;
    this.offPrevlinkhdr = { ...this.offLinkhdr };
    this.linktype = Dlt.En10mb;
    this.offLinkhdr = { isVariable: true, constantPart: 0, reg: this.allocReg() };
    this.isGeneve = false;
    s.push(this.stmt(ST, this.offLinkhdr.reg));
    this.noOptimize = true;
    s.push(this.stmt(LD | IND | H, 2), this.stmt(LDX | MEM, this.offLinkhdr.reg));
    const proto: Stmt = this.stmt(JMP | JEQ | K, 0x6558);
    const txa = this.stmt(MISC | 0x80);
    s.push(proto, txa);
    proto.jt = txa;
    s.push(this.stmt(ALU | ADD | K, 12), this.stmt(ST, this.offLinktype.reg), this.stmt(ALU | ADD | K, 2), this.stmt(MISC | TAX));
    this.offLinkpl = { reg: this.allocReg(), isVariable: true, constantPart: 0 };
    const stx = this.stmt(0x03, this.offLinkpl.reg);
    s.push(stx);
    proto.jf = stx;
    this.offNl = 0;
    return s;
  }

  // ---- arithmetic ----
  loadi(v: number): Arth {
    const reg = this.allocReg();
    return { s: [this.stmt(LD | IMM, v >>> 0), this.stmt(ST, reg)], regno: reg, b: null };
  }

  loadlen(): Arth {
    const reg = this.allocReg();
    return { s: [this.stmt(LD | LEN), this.stmt(ST, reg)], regno: reg, b: null };
  }

  xferToX(a: Arth): Stmt { return this.stmt(LDX | MEM, a.regno); }
  xferToA(a: Arth): Stmt { return this.stmt(LD | MEM, a.regno); }

  load(proto: number, inst: Arth, size: number): Arth {
    const regno = this.allocReg();
    this.freeReg(inst.regno);
    const sz = size === 1 ? B : size === 2 ? H : size === 4 ? W : this.fail("data size must be 1, 2, or 4");
    switch (proto) {
      case Q.Radio: this.fail("radio information not present in capture");
      case Q.Link: {
        let s = this.absOffsetVarpart(this.offLinkhdr);
        if (s) s.push(this.xferToA(inst), this.stmt(ALU | ADD | X), this.stmt(MISC | TAX));
        else s = [this.xferToX(inst)];
        s.push(this.stmt(LD | IND | sz, this.offLinkhdr.constantPart));
        inst.s.push(...s);
        break;
      }
      case Q.Ip: case Q.Arp: case Q.Rarp: case Q.Atalk: case Q.Decnet: case Q.Sca: case Q.Lat: case Q.Moprc:
      case Q.Mopdl: case Q.Ipv6: {
        let s = this.absOffsetVarpart(this.offLinkpl);
        if (s) s.push(this.xferToA(inst), this.stmt(ALU | ADD | X), this.stmt(MISC | TAX));
        else s = [this.xferToX(inst)];
        s.push(this.stmt(LD | IND | sz, this.offLinkpl.constantPart + this.offNl));
        inst.s.push(...s);
        const b = this.protoAbbrev(proto);
        if (inst.b) genAnd(inst.b, b);
        inst.b = b;
        break;
      }
      case Q.Sctp: case Q.Tcp: case Q.Udp: case Q.Icmp: case Q.Igmp: case Q.Igrp: case Q.Pim: case Q.Vrrp: case Q.Carp: {
        const s = this.loadxIphdrlen();
        s.push(this.xferToA(inst), this.stmt(ALU | ADD | X), this.stmt(MISC | TAX),
          this.stmt(LD | IND | sz, this.offLinkpl.constantPart + this.offNl));
        inst.s.push(...s);
        const b = this.ipfrag();
        genAnd(this.protoAbbrev(proto), b);
        if (inst.b) genAnd(inst.b, b);
        genAnd(this.protoAbbrev(Q.Ip), b);
        inst.b = b;
        break;
      }
      case Q.Icmpv6: {
        let b = this.protoAbbrev(Q.Ipv6);
        if (inst.b) genAnd(inst.b, b);
        inst.b = b;
        b = this.cmp(Off.LinkPl, 6, B, 58);
        if (inst.b) genAnd(inst.b, b);
        inst.b = b;
        let s = this.absOffsetVarpart(this.offLinkpl);
        if (s) s.push(this.xferToA(inst), this.stmt(ALU | ADD | X), this.stmt(MISC | TAX));
        else s = [this.xferToX(inst)];
        s.push(this.stmt(LD | IND | sz, this.offLinkpl.constantPart + this.offNl + 40));
        inst.s.push(...s);
        break;
      }
      default: this.fail("unsupported index operation");
    }
    inst.regno = regno;
    inst.s.push(this.stmt(ST, regno));
    return inst;
  }

  relation(code: number, a0: Arth, a1: Arth, reversed: boolean): Block {
    const s0 = [this.xferToX(a1)];
    const s1 = [this.xferToA(a0)];
    let b: Block;
    if (code === JEQ) {
      s1.push(this.stmt(ALU | SUB | X));
      b = this.jmpBlock(JEQ, 0);
    } else b = this.f.block(JMP | code | X, 0);
    if (reversed) genNot(b);
    a1.s.push(...s0, ...s1);
    a0.s.push(...a1.s);
    b.stmts = a0.s;
    this.freeReg(a0.regno);
    this.freeReg(a1.regno);
    let tmp: Block | null;
    if (a0.b) {
      if (a1.b) { genAnd(a0.b, a1.b); tmp = a1.b; } else tmp = a0.b;
    } else tmp = a1.b;
    if (tmp) genAnd(tmp, b);
    return b;
  }

  arth(code: number, a0: Arth, a1: Arth): Arth {
    const first = a1.s[0];
    const isZeroImm = first && first.code === (LD | IMM) && a1.s.length === 2;
    if (code === DIV && isZeroImm && first.k === 0) this.fail("division by zero");
    if (code === MOD && isZeroImm && first.k === 0) this.fail("modulus by zero");
    if ((code === LSH || code === RSH) && isZeroImm && first.k > 31) this.fail("shift by more than 31 bits");
    a1.s.push(this.xferToX(a1), this.xferToA(a0), this.stmt(ALU | X | code));
    a0.s.push(...a1.s);
    this.freeReg(a0.regno);
    this.freeReg(a1.regno);
    const reg = this.allocReg();
    a0.s.push(this.stmt(ST, reg));
    a0.regno = reg;
    return a0;
  }

  neg(a: Arth): Arth {
    a.s.push(this.xferToA(a), this.stmt(ALU | NEG), this.stmt(ST, a.regno));
    return a;
  }
}

/** __pcap_atoin: a dotted quad with 1 to 4 parts, and how many bits it gave. */
export function atoin(s: string): { addr: number; len: number } | undefined {
  let addr = 0, len = 0;
  for (const part of s.split(".")) {
    if (!/^\d+$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    addr = ((addr << 8) | n) >>> 0;
    len += 8;
  }
  return len > 32 ? undefined : { addr, len };
}

const bswap32 = (v: number) => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

export { IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS, IPPROTO_NONE };
