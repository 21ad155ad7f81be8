/**
 * @fileoverview From expression text to a classic program: tokens, the grammar's tree, code
 * generation in the order yacc reduces (so scratch registers and blocks come out as libpcap's),
 * then the accept/reject returns and the layout. `optimize` applies ./optimize.ts.
 */

import type { SockFilter } from "../insn.js";
import { backpatch, genAnd, genNot, genOr, linearize, type Block } from "./blocks.js";
import { FilterError, GenError } from "./errors.js";
import {
  ADD, AND, DIV, Gen, JEQ, JGE, JGT, LINK_NAMES, LSH, MOD, MUL, OR, Q, QERR, RSH, SUB, XOR,
  dltFromLinkType, type Arth as GenArth, type Qual,
} from "./gencode.js";
import { parseIpv6, tokenize, type Token } from "./lexer.js";
import { BUILTIN_NAMES, type NameResolver } from "./names.js";
import { Parser, type Arith, type Node } from "./parser.js";
import { optimizeBlocks, optimizeProgram } from "./optimize.js";

export interface CompileOptions {
  /** LINKTYPE_* number (1 Ethernet, 101 raw IP, 113 SLL, 276 SLL2, 0 NULL, 108 LOOP) or a `-y` name. */
  linkType?: number | string;
  /** What `ret` accepts (tcpdump's default snap length 262144). */
  snaplen?: number;
  /** The network mask for `ip broadcast` (tcpdump passes 0 when it has none). */
  netmask?: number;
  /** Run the optimizer (tcpdump's default; `-O` turns it off). */
  optimize?: boolean;
  /** Resolves host, port and protocol names (default: a built-in table of well-known numbers). */
  names?: NameResolver;
  /** Compiling to filter a capture file (inbound/outbound/ifindex then need the link header). */
  savefile?: boolean;
  /** A NULL-link capture written on a host of the other byte order. */
  swapped?: boolean;
}

/** The LINKTYPE number for a `-y` name or number. */
export function resolveLinkType(lt: number | string | undefined): number {
  if (lt === undefined) return 1;
  if (typeof lt === "number") return lt;
  const byName: Record<string, number> = { ...LINK_NAMES, RAW: 101, EN10MB: 1 };
  const v = byName[lt.toUpperCase()] ?? (/^\d+$/.test(lt) ? Number(lt) : undefined);
  if (v === undefined) throw new FilterError(`invalid data link type ${lt}`);
  return v;
}

const ARITH_OPS: Readonly<Record<string, number>> = {
  "+": ADD, "-": SUB, "*": MUL, "/": DIV, "%": MOD, "&": AND, "|": OR, "^": XOR, LSH, RSH,
};
const RELS: Readonly<Record<string, [number, boolean]>> = {
  ">": [JGT, false], ">=": [JGE, false], "=": [JEQ, false], "<=": [JGT, true], "<": [JGE, true], "!=": [JEQ, true],
};

class Generator {
  constructor(private readonly g: Gen) {}

  private at<T>(tok: Token, fn: () => T): T {
    try { return fn(); } catch (e) {
      if (e instanceof GenError) throw new FilterError(e.message, tok.text, tok.col);
      throw e;
    }
  }

  node(n: Node, qin: Qual): { b: Block; q: Qual } {
    const g = this.g;
    switch (n.t) {
      case "bin": {
        const l = this.node(n.l, qin);
        const r = this.node(n.r, l.q);
        if (n.op === "and") genAnd(l.b, r.b); else genOr(l.b, r.b);
        return r;
      }
      case "not": {
        const r = this.node(n.e, qin);
        genNot(r.b);
        return r;
      }
      case "head": return this.node(n.id, n.q);
      case "paren": return { b: this.node(n.e, qin).b, q: qin };
      case "pnum": return { b: this.at(n.tok, () => g.ncode(null, n.n, qin)), q: qin };
      case "nid": return { b: this.at(n.tok, () => this.nid(n, qin)), q: qin };
      case "pname": return { b: this.at(n.tok, () => g.protoAbbrev(n.proto)), q: QERR };
      case "rel": {
        const a0 = this.arith(n.l), a1 = this.arith(n.r);
        const [code, rev] = RELS[n.op]!;
        return { b: this.at(n.tok, () => g.relation(code, a0, a1, rev)), q: QERR };
      }
      case "other": return { b: this.at(n.tok, () => this.other(n)), q: QERR };
    }
  }

  private nid(n: Extract<Node, { t: "nid" }>, q: Qual): Block {
    const g = this.g;
    const hidCheck = (what: string) => {
      const m: Record<number, string> = { [Q.Port]: "'port'", [Q.PortRange]: "'portrange'", [Q.Proto]: "'proto'", [Q.ProtoChain]: "'protochain'" };
      if (m[q.addr]) g.fail(`${m[q.addr]} modifier applied to ${what}`);
    };
    // libpcap 1.10 checks the qualifier of a bare IPv4 address only; the others fail later.
    switch (n.kind) {
      case "ID": return g.scode(n.text, q);
      case "HID": hidCheck("ip host"); return g.ncode(n.text, 0, q);
      case "HIDLEN": return g.mcode(n.text, null, n.len!, q);
      case "HIDMASK": return g.mcode(n.text, n.text2!, 0, q);
      case "HID6": case "HID6LEN": {
        const a = parseIpv6(n.text);
        if (!a) return g.fail(`invalid ip6 address ${n.text}`);
        return g.mcode6(n.text, a, n.kind === "HID6" ? 128 : n.len!, q);
      }
      case "EID": return g.ecode(parseMac(n.text), q);
    }
    return g.fail(`unknown address form ${n.text}`);
  }

  private other(n: Extract<Node, { t: "other" }>): Block {
    const g = this.g;
    switch (n.kind) {
      case "broadcast": return g.broadcast(n.proto!);
      case "multicast": return g.multicast(n.proto!);
      case "less": return g.less(n.n!);
      case "greater": return g.greater(n.n!);
      case "byte": return g.byteop(n.op!, n.n!, n.n2!);
      case "inbound": return g.inbound(false);
      case "outbound": return g.inbound(true);
      case "ifindex": return g.ifindex(n.n!);
      case "vlan": return g.vlan(n.n!, n.has!);
      case "mpls": return g.mpls(n.n!, n.has!);
      case "pppoed": return g.pppoed();
      case "pppoes": return g.pppoes(n.n!, n.has!);
      case "geneve": return g.geneve(n.n!, n.has!);
      default: return g.fail(`unknown primitive ${n.kind}`);
    }
  }

  arith(a: Arith): GenArth {
    const g = this.g;
    switch (a.t) {
      case "num": return g.loadi(a.n);
      case "len": return g.loadlen();
      case "load": {
        const idx = this.arith(a.index);
        return this.at(a.tok, () => g.load(a.proto, idx, a.size));
      }
      case "op": {
        const l = this.arith(a.l), r = this.arith(a.r);
        return this.at(a.tok, () => g.arth(ARITH_OPS[a.op]!, l, r));
      }
      case "neg": return g.neg(this.arith(a.e));
    }
  }
}

/** pcap_ether_aton: 6 bytes from `a:b:c:d:e:f`, `a-b-...`, `a.b.c...` or `aabb.ccdd.eeff`. */
export function parseMac(text: string): Uint8Array {
  const hex = text.includes(":") || text.includes("-") || text.split(".").length === 6
    ? text.split(/[:.-]/).map((p) => p.padStart(2, "0")).join("")
    : text.split(".").map((p) => p.padStart(4, "0")).join("");
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A compiled filter: the program, and the link type it reads packets of. */
export interface CompiledFilter {
  readonly program: SockFilter[];
  readonly linkType: number;
}

/**
 * Compiles a pcap-filter(7) expression as `pcap_compile` does. With `optimize: false` the
 * program is the one `tcpdump -O -d` lists. Errors are `FilterError`s naming the token.
 */
export function compileFilter(expr: string, options: CompileOptions = {}): CompiledFilter {
  const linkType = resolveLinkType(options.linkType);
  const snaplen = options.snaplen ?? 262144;
  let g: Gen;
  try {
    g = new Gen({
      linkType: dltFromLinkType(linkType), snaplen, netmask: options.netmask ?? 0,
      names: options.names ?? BUILTIN_NAMES, savefile: options.savefile ?? false, swapped: options.swapped ?? false,
    });
  } catch (e) {
    if (e instanceof GenError) throw new FilterError(e.message);
    throw e;
  }
  const tree = new Parser(tokenize(expr)).parseProgram();
  let root: Block;
  if (!tree) root = g.retBlock(snaplen);
  else {
    const { b } = new Generator(g).node(tree, QERR);
    // finish_parse: true edges to accept, false edges to reject.
    backpatch(b, g.retBlock(snaplen));
    b.sense = !b.sense;
    backpatch(b, g.retBlock(0));
    root = b.head;
  }
  // libpcap leaves a program with an in-block jump (geneve) unoptimized even when asked.
  const optimize = (options.optimize ?? true) && !g.noOptimize;
  if (optimize) optimizeBlocks(root);
  let program = linearize(root);
  if (optimize) {
    program = optimizeProgram(program);
    if (program.length === 1 && program[0]!.code === 0x06 && program[0]!.k === 0) throw new FilterError("expression rejects all packets");
  }
  return { program, linkType };
}
