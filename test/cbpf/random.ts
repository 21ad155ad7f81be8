/**
 * @fileoverview A small random classic-program generator for the differential tests: mostly
 * valid programs (forward jumps, M[] written before read) with some invalid ones mixed in.
 */

import { type SockFilter, SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF, SkfAd } from "../../src/cbpf/insn.js";

/** A seeded xorshift32, so a failure can be replayed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

export interface GenOptions {
  /** Ancillary loads whose values agree between a test run and a datagram socket (len, pkttype, mark...). */
  readonly ancillary?: readonly number[];
  /** Allow SKF_NET_OFF / SKF_LL_OFF loads: in every load, or ("abs") in absolute ones only. */
  readonly negative?: boolean | "abs";
  /** Chance of a deliberately invalid instruction, 0 by default. */
  readonly invalid?: number;
  readonly length?: number;
}

const ALU_K = [0x04, 0x14, 0x24, 0x34, 0x94, 0x54, 0x44, 0xa4, 0x64, 0x74];
const ALU_X = [0x0c, 0x1c, 0x2c, 0x3c, 0x9c, 0x5c, 0x4c, 0xac, 0x6c, 0x7c];
const JMP = [0x15, 0x1d, 0x35, 0x3d, 0x25, 0x2d, 0x45, 0x4d];
const LOADS = [0x20, 0x28, 0x30, 0x40, 0x48, 0x50];

export function randomProgram(r: () => number, o: GenOptions = {}): SockFilter[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (n: number) => Math.floor(r() * n);
  const konst = () => pick([0, 1, 2, 3, 4, 7, 8, 14, 0xff, 0x800, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, int(0x100000000)]) >>> 0;
  const n = o.length ?? 2 + int(30);
  const out: SockFilter[] = [];
  const written = new Set<number>();
  let branched = false;
  for (let pc = 0; pc < n - 1; pc++) {
    const left = n - pc - 1;
    const kind = int(12);
    const bad = o.invalid !== undefined && r() < o.invalid;
    if (bad) {
      out.push(pick<SockFilter>([
        { code: 0x34, jt: 0, jf: 0, k: 0 }, // div #0
        { code: 0x64, jt: 0, jf: 0, k: 32 + int(100) }, // lsh #32+
        { code: 0x60, jt: 0, jf: 0, k: 16 + int(10) }, // M[16+]
        { code: 0x60, jt: 0, jf: 0, k: int(16) }, // maybe unwritten
        { code: 0x15, jt: left + int(3), jf: 0, k: 1 }, // jump out
        { code: 0x05, jt: 0, jf: 0, k: left + int(3) },
        { code: 0x20, jt: 0, jf: 0, k: (SKF_AD_OFF + 64 + 4 * int(100)) >>> 0 }, // unknown ancillary
        { code: pick([0x68, 0x0e, 0x8c, 0xc4, 0xff, 0x8d, 0x26]), jt: 0, jf: 0, k: 0 }, // unknown opcodes
      ]));
      continue;
    }
    switch (kind) {
      case 0: case 1: out.push({ code: pick(ALU_K), jt: 0, jf: 0, k: konst() }); break;
      case 2: out.push({ code: pick(ALU_X), jt: 0, jf: 0, k: 0 }); break;
      case 3: {
        const c = pick(LOADS);
        let k = int(40);
        if (o.negative && (o.negative !== "abs" || c < 0x40) && r() < 0.3) k = ((r() < 0.5 ? SKF_NET_OFF : SKF_LL_OFF) + int(30)) >>> 0;
        out.push({ code: c, jt: 0, jf: 0, k });
        break;
      }
      case 4: {
        if (o.ancillary?.length) out.push({ code: pick([0x20, 0x28, 0x30]), jt: 0, jf: 0, k: (SKF_AD_OFF + pick(o.ancillary)) >>> 0 });
        else out.push({ code: pick([0x80, 0x81, 0xb1]), jt: 0, jf: 0, k: int(30) });
        break;
      }
      case 5: out.push({ code: pick([0x00, 0x01]), jt: 0, jf: 0, k: konst() }); break;
      case 6: {
        const m = int(16);
        if (!branched) written.add(m);
        out.push({ code: pick([0x02, 0x03]), jt: 0, jf: 0, k: m });
        break;
      }
      case 7: {
        const ws = [...written];
        if (ws.length) out.push({ code: pick([0x60, 0x61]), jt: 0, jf: 0, k: pick(ws) });
        else out.push({ code: pick([0x07, 0x87]), jt: 0, jf: 0, k: 0 });
        break;
      }
      case 8: out.push({ code: pick([0x07, 0x87, 0x84, 0x80, 0x81]), jt: 0, jf: 0, k: 0 }); break;
      case 9: case 10: {
        branched = true;
        out.push({ code: pick(JMP), jt: int(Math.min(left, 256)), jf: int(Math.min(left, 256)), k: konst() });
        break;
      }
      case 11: {
        if (r() < 0.3) { branched = true; out.push({ code: 0x05, jt: 0, jf: 0, k: int(left) }); }
        else out.push({ code: r() < 0.5 ? 0x16 : 0x06, jt: 0, jf: 0, k: konst() });
        break;
      }
    }
  }
  out.push(r() < 0.7 ? { code: 0x16, jt: 0, jf: 0, k: 0 } : { code: 0x06, jt: 0, jf: 0, k: konst() });
  return out;
}

/** Ancillary loads a datagram socket and a test run agree on. */
export const STABLE_ANCILLARY: readonly number[] = [SkfAd.PktType, SkfAd.Mark, SkfAd.Queue, SkfAd.AluXorX, SkfAd.VlanTag, SkfAd.VlanTagPresent];
