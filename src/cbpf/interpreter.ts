/**
 * @fileoverview The classic BPF machine over one packet: A, X and M[16], every opcode, the
 * Linux ancillary loads (SKF_AD_*) and negative offsets (SKF_NET_OFF, SKF_LL_OFF), with the
 * kernel's rule that a load out of the packet ends the program returning 0.
 */

import { BpfError } from "../errors.js";
import { CBPF_MEMWORDS, SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF, SkfAd, type SockFilter } from "./insn.js";

/** The socket buffer fields ancillary loads read (struct sk_buff, as the kernel fills them). */
export interface CbpfContext {
  /** skb->protocol, host order (ETH_P_IP 0x800...) */
  protocol?: number;
  /** skb->pkt_type (PACKET_HOST 0, PACKET_OUTGOING 4...) */
  pkttype?: number;
  ifindex?: number;
  mark?: number;
  queue?: number;
  /** dev->type (ARPHRD_ETHER 1) */
  hatype?: number;
  rxhash?: number;
  cpu?: number;
  vlan_tci?: number;
  vlan_present?: number;
  vlan_tpid?: number;
  /** The value SKF_AD_RANDOM gives, or a function drawing one (default Math.random). */
  random?: number | (() => number);
  /** Offset of the network header in the packet, for SKF_NET_OFF loads (default 14). */
  networkOffset?: number;
  /** Offset of the link-layer header, for SKF_LL_OFF loads (default 0). */
  linkOffset?: number;
  /** The payload offset SKF_AD_PAY_OFFSET gives (the kernel's flow dissector); 0 if not given. */
  payOffset?: number;
  /** BPF_LEN: the packet's length (default the bytes given; libpcap uses the wire length). */
  length?: number;
}

/** A program the machine cannot run (an opcode that does not exist, a jump out of it). */
export class CbpfExecutionError extends BpfError {
  readonly pc: number;
  constructor(pc: number, reason: string) {
    super("EEXEC", `insn ${pc}: ${reason}`);
    this.pc = pc;
  }
}

const OUT = -1;

/** The ancillary value at `ad` (an SKF_AD_* offset), or undefined if there is none. */
function ancillary(ad: number, ctx: CbpfContext, a: number, x: number): number | undefined {
  switch (ad) {
    case SkfAd.Protocol: return ctx.protocol ?? 0;
    case SkfAd.PktType: return ctx.pkttype ?? 0;
    case SkfAd.Ifindex: return ctx.ifindex ?? 0;
    case SkfAd.Mark: return ctx.mark ?? 0;
    case SkfAd.Queue: return ctx.queue ?? 0;
    case SkfAd.Hatype: return ctx.hatype ?? 0;
    case SkfAd.Rxhash: return ctx.rxhash ?? 0;
    case SkfAd.Cpu: return ctx.cpu ?? 0;
    case SkfAd.VlanTag: return ctx.vlan_tci ?? 0;
    case SkfAd.VlanTagPresent: return ctx.vlan_present ? 1 : 0;
    case SkfAd.VlanTpid: return ctx.vlan_tpid ?? 0;
    case SkfAd.PayOffset: return ctx.payOffset ?? 0;
    case SkfAd.Random: return typeof ctx.random === "function" ? ctx.random() : ctx.random ?? Math.floor(Math.random() * 0x100000000);
    case SkfAd.AluXorX: return a ^ x;
    case SkfAd.Nlattr: case SkfAd.NlattrNest: return 0; // no netlink message here
    default: return undefined;
  }
}

/** A load of `size` bytes at `k` (+ `x` for indirect loads), or OUT when it falls outside. */
function load(pkt: Uint8Array, off: number, size: number, ctx: CbpfContext): number {
  let at = off;
  if (off < 0) {
    if (off >= SKF_NET_OFF && off < SKF_NET_OFF + 0x100000) at = (ctx.networkOffset ?? 14) + (off - SKF_NET_OFF);
    else if (off >= SKF_LL_OFF && off < SKF_LL_OFF + 0x100000) at = (ctx.linkOffset ?? 0) + (off - SKF_LL_OFF);
    else return OUT;
  }
  if (at < 0 || at + size > pkt.length) return OUT;
  if (size === 1) return pkt[at]!;
  if (size === 2) return (pkt[at]! << 8) | pkt[at + 1]!;
  return ((pkt[at]! << 24) | (pkt[at + 1]! << 16) | (pkt[at + 2]! << 8) | pkt[at + 3]!) >>> 0;
}

const SIZE = [4, 2, 1, 0] as const;
/** Jumps allowed in one run: a program that loops (only backward `ja` can) stops there. */
const BUDGET = 1 << 20;

/**
 * Runs `program` over `packet` and returns what its `ret` gives: the number of bytes
 * accepted (0 drops). A load outside the packet, or a division by X = 0, returns 0.
 */
export function runCbpf(program: readonly SockFilter[], packet: Uint8Array, ctx: CbpfContext = {}): number {
  let a = 0, x = 0;
  const mem = new Uint32Array(CBPF_MEMWORDS);
  const len = ctx.length ?? packet.length;
  let backward = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const insn = program[pc]!;
    const k = insn.k >>> 0;
    const code = insn.code;
    switch (code & 0x07) {
      case 0x00: case 0x01: { // BPF_LD, BPF_LDX
        const mode = code & 0xe0;
        const size = SIZE[(code >> 3) & 3]!;
        let v: number;
        if (mode === 0x00) v = k;
        else if (mode === 0x80) v = len;
        else if (mode === 0x60) {
          if (k >= CBPF_MEMWORDS) throw new CbpfExecutionError(pc, `scratch word M[${k}] out of range`);
          v = mem[k]!;
        } else if ((code & 0x07) === 0x01 && mode === 0xa0) { // ldxb 4*([k]&0xf)
          const b = load(packet, k | 0, 1, ctx);
          if (b === OUT) return 0;
          v = (b & 0xf) << 2;
        } else if ((code & 0x07) === 0x00 && (mode === 0x20 || mode === 0x40)) {
          if (size === 0) throw new CbpfExecutionError(pc, `unknown opcode 0x${code.toString(16)}`);
          const off = mode === 0x20 ? k | 0 : (x + k) | 0;
          const ad = mode === 0x20 ? off - SKF_AD_OFF : -1;
          if (mode === 0x20 && ad >= 0 && ad < 0x1000) {
            const anc = ancillary(ad, ctx, a, x);
            if (anc === undefined) return 0;
            v = anc >>> 0;
          } else {
            // An indirect load wrapping past 2^32 is out as the kernel sees it.
            if (mode === 0x40 && x + k > 0xffffffff && off >= 0) return 0;
            v = load(packet, off, size, ctx);
            if (v === OUT) return 0;
          }
        } else throw new CbpfExecutionError(pc, `unknown opcode 0x${code.toString(16)}`);
        if ((code & 0x07) === 0x00) a = v >>> 0; else x = v >>> 0;
        break;
      }
      case 0x02: case 0x03: // BPF_ST, BPF_STX
        if (k >= CBPF_MEMWORDS) throw new CbpfExecutionError(pc, `scratch word M[${k}] out of range`);
        mem[k] = (code & 0x07) === 0x02 ? a : x;
        break;
      case 0x04: { // BPF_ALU
        const src = code & 0x08 ? x : k;
        switch (code & 0xf0) {
          case 0x00: a = (a + src) >>> 0; break;
          case 0x10: a = (a - src) >>> 0; break;
          case 0x20: a = Math.imul(a, src) >>> 0; break;
          case 0x30: if (src === 0) return 0; a = Math.floor(a / src) >>> 0; break;
          case 0x90: if (src === 0) return 0; a = (a % src) >>> 0; break;
          case 0x40: a = (a | src) >>> 0; break;
          case 0x50: a = (a & src) >>> 0; break;
          case 0xa0: a = (a ^ src) >>> 0; break;
          // Shifts by 32 or more give 0 as the kernel's 32-bit ALU does after conversion.
          case 0x60: a = src >= 32 ? 0 : (a << src) >>> 0; break;
          case 0x70: a = src >= 32 ? 0 : a >>> src; break;
          case 0x80: a = (-a) >>> 0; break;
          default: throw new CbpfExecutionError(pc, `unknown opcode 0x${code.toString(16)}`);
        }
        break;
      }
      case 0x05: { // BPF_JMP
        const op = code & 0xf0;
        // ja: a signed offset; libpcap's protochain jumps back, which its interpreter allows.
        if (op === 0x00) {
          pc += insn.k | 0;
          if (++backward > BUDGET) throw new CbpfExecutionError(pc, `more than ${BUDGET} jumps: the program loops`);
          if (pc < -1) throw new CbpfExecutionError(pc, "jump before the start of the program");
          break;
        }
        const src = code & 0x08 ? x : k;
        let taken: boolean;
        switch (op) {
          case 0x10: taken = a === src; break;
          case 0x20: taken = a > src; break;
          case 0x30: taken = a >= src; break;
          case 0x40: taken = (a & src) !== 0; break;
          default: throw new CbpfExecutionError(pc, `unknown opcode 0x${code.toString(16)}`);
        }
        pc += taken ? insn.jt : insn.jf;
        break;
      }
      case 0x06: // BPF_RET
        return ((code & 0x18) === 0x10 ? a : k) >>> 0;
      case 0x07: // BPF_MISC
        if ((code & 0xf8) === 0x00) x = a;
        else if ((code & 0xf8) === 0x80) a = x;
        else throw new CbpfExecutionError(pc, `unknown opcode 0x${code.toString(16)}`);
        break;
    }
  }
  throw new CbpfExecutionError(program.length, "ran off the end of the program without a ret");
}
