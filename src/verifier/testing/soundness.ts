/**
 * @fileoverview The verifier's soundness fuzz, shared by test/verifier/soundness.test.ts
 * (thousands) and scripts/fuzz-verifier.ts (millions on demand): random programs with
 * unsafe mutations, and pairs of paths meeting at a checkpoint; every program the verifier
 * accepts runs in checked mode, where a fault means the verifier was wrong.
 */

import { insn, type Instruction } from "../../isa/instruction.js";
import type { ProgramTypeVerifierOps } from "../../programs/access.js";
import type { Runtime } from "../../runtime/runtime.js";
import { generateProgram, Rng } from "../../runtime/testing/random-program.js";
import { buildCfg } from "../cfg.js";
import { verifyProgram } from "../index.js";

/** r1 points at `size` bytes the program may read and write (the runtime's raw mode). */
export function rawOps(size: number): ProgramTypeVerifierOps {
  return {
    name: "raw",
    ctxSize: size,
    isValidAccess: ({ off, size: n }) => (off >= 0 && off + n <= size ? { ok: true, type: "scalar" } : { ok: false }),
    helperAllowed: () => false,
    returnRange: () => undefined,
  };
}

const isMem = (op: number) => [0x61, 0x69, 0x71, 0x79, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b].includes(op);
const isJmp = (op: number) => (op & 0x07) === 0x05 || (op & 0x07) === 0x06;

/** One unsafe change to one instruction (the program keeps its length and shape). */
export function mutate(insns: Instruction[], r: Rng): Instruction[] {
  const out = insns.slice();
  const k = r.int(out.length);
  const i = out[k]!;
  if (i.opcode === 0x18 || i.opcode === 0x95 || i.opcode === 0x85) return out;
  switch (r.int(7)) {
    case 0: // a memory access past its region, either way
      if (isMem(i.opcode)) out[k] = { ...i, off: r.pick([i.off + 64, i.off - 64, -513, 512, i.off + 1, 0x7fff]) };
      break;
    case 1: // the base of an access replaced by another register (maybe a number)
      if (isMem(i.opcode)) out[k] = (i.opcode & 0x07) === 0x01 ? { ...i, src: r.int(10) } : { ...i, dst: r.int(10) };
      break;
    case 2: // a write removed: its register may now be read unset
      out[k] = insn(0xbf, 0, 0, 0, 0);
      break;
    case 3: // a jump bent backwards: maybe a loop without end
      if (isJmp(i.opcode) && (i.opcode & 0xf0) !== 0x80 && (i.opcode & 0xf0) !== 0x90) out[k] = { ...i, off: -1 - r.int(Math.min(k + 1, 20)) };
      break;
    case 4: // arithmetic on the memory pointer
      out[k] = insn(0x07, 9, 0, 0, r.pick([1, 7, 64, -8, 4096]));
      break;
    case 5: // a register of unknown value added to a pointer
      out[k] = insn(0x0f, r.pick([1, 9, 10 - 1]), r.int(9), 0, 0);
      break;
    default: // a stack slot far below the frame
      out[k] = insn(0x7b, 10, r.int(10), r.pick([-520, -8, -256, 8, -1]), 0);
  }
  return out;
}

/**
 * Two paths that meet at a checkpoint with different values in the registers a later access
 * uses, through copies, ALU, 32-bit moves, spills and linked copies: pruning the second path
 * is sound only when precision followed every one of them (the class of mark_chain_precision
 * bugs). Byte 0 of the memory picks the path.
 */
export function mergedPaths(seed: number, size: number): Instruction[] {
  const r = new Rng(seed * 104729);
  const off = () => r.pick([0, 1, size - 1, size, size + 1, 64, -1, -8, 7, 255]);
  const ops = (): Instruction[] => {
    const out: Instruction[] = [];
    for (let n = 1 + r.int(3); n > 0; n--) {
      switch (r.int(9)) {
        case 0: out.push(insn(0xb7, 4, 0, 0, off())); break; // r4 = K
        case 1: out.push(insn(0xbf, 4, 5, 0, 0)); break; // r4 = r5
        case 2: out.push(insn(0x0f, 4, 5, 0, 0)); break; // r4 += r5
        case 3: out.push(insn(0xbc, 4, 5, 0, 0)); break; // w4 = w5
        case 4: out.push(insn(0x7b, 10, 4, -8, 0), insn(0x79, 5, 10, -8, 0)); break; // spill r4, fill r5
        case 5: out.push(insn(0x07, 5, 0, 0, off())); break; // r5 += K
        case 6: out.push(insn(0x27, 4, 0, 0, r.pick([0, 1, 2]))); break; // r4 *= K
        case 7: out.push(insn(0xbf, 7, 4, 0, 0)); break; // r7 = r4
        default: out.push(insn(0xb7, 5, 0, 0, off())); // r5 = K
      }
    }
    return out;
  };
  const a = ops();
  const pads = [insn(0xb7, 3, 0, 0, 0), insn(0xb7, 3, 0, 0, 0), insn(0xb7, 3, 0, 0, 0)];
  const b = ops();
  const use = ops();
  const base = r.pick([4, 5, 7]);
  const head = [
    insn(0x71, 2, 1, 0, 0), // r2 = mem[0]
    insn(0xb7, 4, 0, 0, off()),
    insn(0xb7, 5, 0, 0, off()),
    insn(0xb7, 7, 0, 0, 0),
    insn(0x7b, 10, 4, -8, 0),
  ];
  return [
    ...head,
    insn(0x25, 2, 0, a.length + pads.length + 1, 127), // if r2 > 127 goto b
    ...a, ...pads,
    insn(0x05, 0, 0, b.length, 0), // goto l
    ...b,
    ...use, // l:
    insn(0x0f, 1, base, 0, 0),
    insn(0x71, 0, 1, 0, 0),
    insn(0x95, 0, 0, 0, 0),
  ];
}

/** What one seed gave: whether the verifier accepted, and the faults of its accepted runs. */
export interface SoundnessOutcome {
  readonly accepted: boolean;
  readonly faults: readonly string[];
}

function runAccepted(rt: Runtime, insns: Instruction[], inputs: readonly Uint8Array[], budget: number): SoundnessOutcome {
  const v = verifyProgram({ instructions: insns }, { type: "raw", ops: rawOps(inputs[0]!.length), helperProto: () => undefined, complexityLimit: 20_000 });
  if (!v.accepted) return { accepted: false, faults: [] };
  const faults: string[] = [];
  // Frames as deep as the verifier found them (the runtime's own estimate also counts code no path reaches).
  const starts = buildCfg(insns, { allowLoops: true }).subprogs.map((s) => s.start);
  const stackDepths = new Map(starts.map((start, k) => [start, v.stats.stackDepth[k] ?? 0]));
  for (const mem of inputs) {
    try {
      rt.load(insns, { mode: "checked", budget, stackDepths } as never).runRaw(mem.slice());
    } catch (e) {
      faults.push((e as Error).message.split("\n")[0]!);
    }
  }
  return { accepted: true, faults };
}

/** A random program with 0-3 unsafe mutations (seed % 4 === 0: none), run on its own memory. */
export function mutatedOnce(rt: Runtime, seed: number): SoundnessOutcome {
  const g = generateProgram(seed, { memory: 8 + (seed % 57) });
  const r = new Rng(seed * 7919);
  let insns = g.insns;
  const n = seed % 4 === 0 ? 0 : 1 + r.int(3);
  for (let m = 0; m < n; m++) insns = mutate(insns, r);
  return runAccepted(rt, insns, [g.memory], 2_000_000);
}

/** A merged-paths program, run down both paths. */
export function mergedOnce(rt: Runtime, seed: number): SoundnessOutcome {
  const size = 16 + (seed % 3) * 16;
  const inputs = [0, 200].map((first) => {
    const mem = new Uint8Array(size);
    mem[0] = first;
    return mem;
  });
  return runAccepted(rt, mergedPaths(seed, size), inputs, 10_000);
}
