/**
 * @fileoverview The pcap-filter grammar (libpcap's grammar.y) read into a tree: `and`/`or`
 * of equal precedence, left to right; qualifiers carried to bare ids (`host a or b`);
 * arithmetic with yacc's precedences, `%` and `^` binding as libpcap's grammar leaves them.
 */

import { FilterError } from "./errors.js";
import type { Token } from "./lexer.js";
import { Q, type Qual } from "./gencode.js";

export type Arith =
  | { t: "num"; n: number; tok: Token }
  | { t: "len"; tok: Token }
  | { t: "load"; proto: number; index: Arith; size: number; tok: Token }
  | { t: "op"; op: string; l: Arith; r: Arith; tok: Token }
  | { t: "neg"; e: Arith; tok: Token };

export type Node =
  | { t: "bin"; op: "and" | "or"; l: Node; r: Node; tok: Token }
  | { t: "not"; e: Node; tok: Token }
  | { t: "head"; q: Qual; id: Node; tok: Token }
  | { t: "paren"; e: Node; tok: Token }
  | { t: "nid"; kind: "ID" | "HID" | "HIDLEN" | "HIDMASK" | "HID6" | "HID6LEN" | "EID"; text: string; text2?: string; len?: number; tok: Token }
  | { t: "pnum"; n: number; tok: Token }
  | { t: "pname"; proto: number; tok: Token }
  | { t: "rel"; op: string; l: Arith; r: Arith; tok: Token }
  | { t: "other"; kind: string; proto?: number; n?: number; n2?: number; has?: boolean; op?: string; tok: Token };

/** pname tokens to protocol qualifiers. */
const PNAMES: Readonly<Record<string, number>> = {
  LINK: Q.Link, IP: Q.Ip, ARP: Q.Arp, RARP: Q.Rarp, SCTP: Q.Sctp, TCP: Q.Tcp, UDP: Q.Udp, ICMP: Q.Icmp, IGMP: Q.Igmp,
  IGRP: Q.Igrp, PIM: Q.Pim, VRRP: Q.Vrrp, CARP: Q.Carp, ATALK: Q.Atalk, AARP: Q.Aarp, DECNET: Q.Decnet, LAT: Q.Lat,
  SCA: Q.Sca, MOPDL: Q.Mopdl, MOPRC: Q.Moprc, IPV6: Q.Ipv6, ICMPV6: Q.Icmpv6, AH: Q.Ah, ESP: Q.Esp, ISO: Q.Iso,
  ESIS: Q.Esis, ISIS: Q.Isis, L1: Q.IsisL1, L2: Q.IsisL2, IIH: Q.IsisIih, LSP: Q.IsisLsp, SNP: Q.IsisSnp,
  CSNP: Q.IsisCsnp, PSNP: Q.IsisPsnp, CLNP: Q.Clnp, STP: Q.Stp, IPX: Q.Ipx, NETBEUI: Q.Netbeui, RADIO: Q.Radio,
};
const AQUAL: Readonly<Record<string, number>> = { HOST: Q.Host, NET: Q.Net, PORT: Q.Port, PORTRANGE: Q.PortRange };
const SIMPLE_DQUAL: Readonly<Record<string, number>> = {
  ADDR1: Q.Addr1, ADDR2: Q.Addr2, ADDR3: Q.Addr3, ADDR4: Q.Addr4, RA: Q.Ra, TA: Q.Ta,
};
/** yacc precedence of the binary arithmetic operators; `%` and `^` have none (always shift). */
const ARITH_PREC: Readonly<Record<string, number>> = { "|": 1, "&": 2, LSH: 3, RSH: 3, "+": 4, "-": 4, "*": 5, "/": 5 };
const RELOPS: Readonly<Record<string, string>> = { ">": ">", GEQ: ">=", "=": "=", LEQ: "<=", "<": "<", NEQ: "!=" };
/** Keywords of primitives tsbpf refuses (802.11, ATM, MTP, pflog), with libpcap's reason. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  TYPE: "802.11 link-layer types supported only on 802.11", SUBTYPE: "802.11 link-layer types supported only on 802.11",
  DIR: "frame direction supported only with 802.11 headers", LLC: "'llc' is not supported by this compiler yet",
  PF_IFNAME: "ifname supported only on PF linktype", PF_RSET: "ruleset supported only on PF linktype",
  PF_RNR: "rnr supported only on PF linktype", PF_SRNR: "srnr supported only on PF linktype",
  PF_REASON: "reason supported only on PF linktype", PF_ACTION: "action supported only on PF linktype",
  LANE: "'lane' supported only on raw ATM", METAC: "'metac' supported only on raw ATM", BCC: "'bcc' supported only on raw ATM",
  OAMF4EC: "'oam4ec' supported only on raw ATM", OAMF4SC: "'oam4sc' supported only on raw ATM", SC: "'sc' supported only on raw ATM",
  ILMIC: "'ilmic' supported only on raw ATM", OAM: "'oam' supported only on raw ATM", OAMF4: "'oamf4' supported only on raw ATM",
  CONNECTMSG: "'connectmsg' supported only on raw ATM", METACONNECT: "'metaconnect' supported only on raw ATM",
  VPI: "'vpi' supported only on raw ATM", VCI: "'vci' supported only on raw ATM",
  FISU: "'fisu' supported only on MTP2", LSSU: "'lssu' supported only on MTP2", MSU: "'msu' supported only on MTP2",
  HFISU: "'hfisu' supported only on MTP2_HSL", HLSSU: "'hlssu' supported only on MTP2_HSL", HMSU: "'hmsu' supported only on MTP2_HSL",
  SIO: "'sio' supported only on SS7", OPC: "'opc' supported only on SS7", DPC: "'dpc' supported only on SS7",
  SLS: "'sls' supported only on SS7", HSIO: "'hsio' supported only on SS7", HOPC: "'hopc' supported only on SS7",
  HDPC: "'hdpc' supported only on SS7", HSLS: "'hsls' supported only on SS7",
};

class Fail extends Error {
  constructor(readonly at: number, readonly msg = "syntax error") { super(msg); }
}

export class Parser {
  private pos = 0;
  private furthest: Fail | null = null;
  constructor(private readonly toks: Token[]) {}

  private peek(o = 0): Token { return this.toks[Math.min(this.pos + o, this.toks.length - 1)]!; }
  private is(tok: Token, v: string): boolean { return (tok.kind === "kw" || tok.kind === "op") && tok.value === v; }
  private next(): Token { return this.toks[this.pos++]!; }
  private fail(at = this.pos, msg?: string): never {
    const f = new Fail(at, msg);
    if (!this.furthest || at >= this.furthest.at) this.furthest = f;
    throw f;
  }
  private expect(v: string): Token {
    if (!this.is(this.peek(), v)) this.fail();
    return this.next();
  }
  /** Tries each alternative from the same position; the first that parses wins. */
  private alt<T>(...fns: (() => T)[]): T {
    const start = this.pos;
    let last: unknown;
    for (const fn of fns) {
      try { return fn(); } catch (e) {
        if (!(e instanceof Fail)) throw e;
        last = e;
        this.pos = start;
      }
    }
    throw last;
  }

  /** prog: null | expr. Undefined for the empty expression (accept everything). */
  parseProgram(): Node | undefined {
    try {
      if (this.peek().kind === "EOF") return undefined;
      const e = this.parseExpr();
      if (this.peek().kind !== "EOF") this.fail();
      return e;
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      const f = this.furthest && this.furthest.at >= e.at ? this.furthest : e;
      const tok = this.toks[Math.min(f.at, this.toks.length - 1)]!;
      if (tok.kind === "EOF") throw new FilterError(f.msg, "", tok.col);
      throw new FilterError(f.msg, tok.text, tok.col);
    }
  }

  private isAndOr(tok: Token): "and" | "or" | undefined {
    return this.is(tok, "AND") ? "and" : this.is(tok, "OR") ? "or" : undefined;
  }

  private parseExpr(): Node {
    let l = this.parseTerm();
    for (let op = this.isAndOr(this.peek()); op; op = this.isAndOr(this.peek())) {
      const tok = this.next();
      const r = this.alt(() => this.parseTerm(), () => this.parseId());
      l = { t: "bin", op, l, r, tok };
    }
    return l;
  }

  private parseTerm(): Node {
    const tok = this.peek();
    if (this.is(tok, "!")) { this.next(); return { t: "not", e: this.parseTerm(), tok }; }
    if (this.is(tok, "(")) {
      return this.alt(() => {
        this.next();
        const e = this.parseExpr();
        this.expect(")");
        return { t: "paren", e, tok } as Node;
      }, () => this.parseRelation());
    }
    if (tok.kind === "kw") {
      const pname = PNAMES[tok.value];
      if (pname !== undefined) {
        const nx = this.peek(1);
        if (this.is(nx, "[")) return this.parseRelation();
        if (this.startsHeadAfterPqual(nx)) return this.parseHeadId();
        if (this.is(nx, "TK_BROADCAST") || this.is(nx, "TK_MULTICAST")) {
          this.next(); this.next();
          return { t: "other", kind: nx.value === "TK_BROADCAST" ? "broadcast" : "multicast", proto: pname, tok: nx };
        }
        if (nx.kind === "kw" && (nx.value === "TYPE" || nx.value === "SUBTYPE" || nx.value === "DIR")) {
          this.pos++;
          return this.parseOther();
        }
        this.next();
        return { t: "pname", proto: pname, tok };
      }
      if (this.startsHeadAfterPqual(tok)) return this.parseHeadId();
      if (tok.value === "LEN") return this.parseRelation();
      return this.parseOther();
    }
    if (tok.kind === "NUM" || this.is(tok, "-")) return this.parseRelation();
    this.fail();
  }

  private startsHeadAfterPqual(tok: Token): boolean {
    return tok.kind === "kw" && (tok.value === "SRC" || tok.value === "DST" || AQUAL[tok.value] !== undefined
      || SIMPLE_DQUAL[tok.value] !== undefined || tok.value === "PROTO" || tok.value === "PROTOCHAIN" || tok.value === "GATEWAY");
  }

  private parseHeadId(): Node {
    const first = this.peek();
    let proto: number = Q.Default, dir: number = Q.Default, addr: number = Q.Default;
    if (first.kind === "kw" && PNAMES[first.value] !== undefined) { proto = PNAMES[first.value]!; this.next(); }
    const t = this.peek();
    let hasDir = false;
    if (this.is(t, "SRC") || this.is(t, "DST")) {
      this.next();
      hasDir = true;
      const other = t.value === "SRC" ? "DST" : "SRC";
      const a = this.peek(), b = this.peek(1);
      if ((this.is(a, "OR") || this.is(a, "AND")) && this.is(b, other)) {
        this.next(); this.next();
        dir = a.value === "OR" ? Q.Or : Q.And;
      } else dir = t.value === "SRC" ? Q.Src : Q.Dst;
    } else if (t.kind === "kw" && SIMPLE_DQUAL[t.value] !== undefined) {
      this.next();
      hasDir = true;
      dir = SIMPLE_DQUAL[t.value]!;
    }
    const a = this.peek();
    if (a.kind === "kw" && AQUAL[a.value] !== undefined) { this.next(); addr = AQUAL[a.value]!; }
    else if (!hasDir) {
      if (this.is(a, "PROTO")) { this.next(); addr = Q.Proto; }
      else if (this.is(a, "PROTOCHAIN")) { this.next(); addr = Q.ProtoChain; }
      else if (this.is(a, "GATEWAY")) { this.next(); addr = Q.Gateway; }
      else this.fail();
    }
    const id = this.parseId();
    return { t: "head", q: { proto, dir, addr }, id, tok: first };
  }

  /** id: nid | pnum | paren pid ')' */
  private parseId(): Node {
    const tok = this.peek();
    if (this.is(tok, "(")) {
      return this.alt(() => {
        this.next();
        const e = this.parsePid();
        this.expect(")");
        return e;
      }, () => ({ t: "pnum", n: this.parsePnum(), tok } as Node));
    }
    if (tok.kind === "NUM") { this.next(); return { t: "pnum", n: tok.num, tok }; }
    return this.parseNid();
  }

  private parseNid(): Node {
    const tok = this.peek();
    switch (tok.kind) {
      case "ID": this.next(); return { t: "nid", kind: "ID", text: tok.value, tok };
      case "EID": this.next(); return { t: "nid", kind: "EID", text: tok.value, tok };
      case "HID": {
        this.next();
        if (this.is(this.peek(), "/") && this.peek(1).kind === "NUM") {
          this.next();
          return { t: "nid", kind: "HIDLEN", text: tok.value, len: this.next().num, tok };
        }
        if (this.is(this.peek(), "NETMASK") && this.peek(1).kind === "HID") {
          this.next();
          return { t: "nid", kind: "HIDMASK", text: tok.value, text2: this.next().value, tok };
        }
        return { t: "nid", kind: "HID", text: tok.value, tok };
      }
      case "HID6": {
        this.next();
        if (this.is(this.peek(), "/") && this.peek(1).kind === "NUM") {
          this.next();
          return { t: "nid", kind: "HID6LEN", text: tok.value, len: this.next().num, tok };
        }
        return { t: "nid", kind: "HID6", text: tok.value, tok };
      }
      default:
        if (this.is(tok, "!")) { this.next(); return { t: "not", e: this.parseId(), tok }; }
        this.fail();
    }
  }

  /** pid: nid | qid and id | qid or id; qid: pnum | pid */
  private parsePid(): Node {
    const tok = this.peek();
    let l: Node;
    let bare = false;
    if (tok.kind === "NUM") { this.next(); l = { t: "pnum", n: tok.num, tok }; bare = true; }
    else if (this.is(tok, "(")) {
      // a parenthesised number as qid
      l = { t: "pnum", n: this.parsePnum(), tok };
      bare = true;
    } else l = this.parseNid();
    for (let op = this.isAndOr(this.peek()); op; op = this.isAndOr(this.peek())) {
      const t = this.next();
      l = { t: "bin", op, l, r: this.parseId(), tok: t };
      bare = false;
    }
    if (bare) this.fail();
    return l;
  }

  private parsePnum(): number {
    const tok = this.peek();
    if (tok.kind === "NUM") { this.next(); return tok.num; }
    if (this.is(tok, "(")) { this.next(); const n = this.parsePnum(); this.expect(")"); return n; }
    this.fail();
  }

  private parseRelation(): Node {
    const l = this.parseArith(0);
    const optok = this.peek();
    const op = (optok.kind === "op" || optok.kind === "kw") ? RELOPS[optok.value] : undefined;
    if (!op) this.fail();
    this.next();
    const r = this.parseArith(0);
    return { t: "rel", op, l, r, tok: optok };
  }

  private parseArith(minPrec: number): Arith {
    let l = this.parseArithPrimary();
    for (;;) {
      const tok = this.peek();
      if (tok.kind !== "op") break;
      if (tok.value === "%" || tok.value === "^") {
        this.next();
        l = { t: "op", op: tok.value, l, r: this.parseArith(0), tok };
        continue;
      }
      const p = ARITH_PREC[tok.value];
      if (p === undefined || p < minPrec) break;
      this.next();
      l = { t: "op", op: tok.value, l, r: this.parseArith(p + 1), tok };
    }
    return l;
  }

  private parseArithPrimary(): Arith {
    const tok = this.peek();
    if (tok.kind === "NUM") { this.next(); return { t: "num", n: tok.num, tok }; }
    if (this.is(tok, "LEN")) { this.next(); return { t: "len", tok }; }
    if (this.is(tok, "-")) { this.next(); return { t: "neg", e: this.parseArith(6), tok }; }
    if (this.is(tok, "(")) {
      this.next();
      const e = this.parseArith(0);
      this.expect(")");
      return e;
    }
    if (tok.kind === "kw" && PNAMES[tok.value] !== undefined && this.is(this.peek(1), "[")) {
      this.next(); this.next();
      const index = this.parseArith(0);
      let size = 1;
      if (this.is(this.peek(), ":")) {
        this.next();
        const n = this.peek();
        if (n.kind !== "NUM") this.fail();
        this.next();
        size = n.num;
      }
      this.expect("]");
      return { t: "load", proto: PNAMES[tok.value]!, index, size, tok };
    }
    this.fail();
  }

  private parseOther(): Node {
    const tok = this.next();
    const num = (): number => { const n = this.peek(); if (n.kind !== "NUM") this.fail(); this.next(); return n.num; };
    const optNum = (): number | undefined => {
      const n = this.peek();
      if (n.kind === "NUM" || this.is(n, "(")) {
        const save = this.pos;
        try { return this.parsePnum(); } catch (e) { if (!(e instanceof Fail)) throw e; this.pos = save; }
      }
      return undefined;
    };
    switch (tok.value) {
      case "TK_BROADCAST": return { t: "other", kind: "broadcast", proto: Q.Default, tok };
      case "TK_MULTICAST": return { t: "other", kind: "multicast", proto: Q.Default, tok };
      case "LESS": return { t: "other", kind: "less", n: num(), tok };
      case "GREATER": return { t: "other", kind: "greater", n: num(), tok };
      case "CBYTE": {
        const n = num();
        const o = this.peek();
        if (!(o.kind === "op" && ["&", "|", "<", ">", "="].includes(o.value))) this.fail();
        this.next();
        return { t: "other", kind: "byte", n, op: o.value, n2: num(), tok };
      }
      case "INBOUND": return { t: "other", kind: "inbound", tok };
      case "OUTBOUND": return { t: "other", kind: "outbound", tok };
      case "IFINDEX": return { t: "other", kind: "ifindex", n: num(), tok };
      case "VLAN": case "MPLS": case "PPPOES": case "GENEVE": {
        const n = optNum();
        return { t: "other", kind: tok.value.toLowerCase(), n: n ?? 0, has: n !== undefined, tok };
      }
      case "PPPOED": return { t: "other", kind: "pppoed", tok };
      default:
        if (UNSUPPORTED[tok.value]) this.fail(this.pos - 1, UNSUPPORTED[tok.value]);
        this.fail(this.pos - 1);
    }
  }
}
