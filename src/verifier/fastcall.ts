/**
 * @fileoverview bpf_fastcall, as the kernel's mark_fastcall_patterns,
 * check_fastcall_stack_contract and remove_fastcall_spills_fills: around a call the kernel
 * inlines (bpf_get_smp_processor_id, kfuncs marked KF_FASTCALL), clang spills the caller-saved
 * registers the call does not really clobber and fills them after. The kernel removes those
 * pairs, so their stack slots do not count toward the subprogram's stack depth, unless
 * something else in the subprogram reaches that low on the stack.
 */

import type { Instruction } from "../isa/instruction.js";
import type { Cfg } from "./cfg.js";

/** BPF_STX | BPF_MEM | BPF_DW and BPF_LDX | BPF_MEM | BPF_DW */
const STX_DW = 0x7b;
const LDX_DW = 0x79;
const CALL = 0x85;
/** r0 to r5: what a call may clobber. */
const CALLER_SAVED = 0x3f;
/** No pattern in the subprogram: nothing below it is spared. */
const NO_PATTERN = 0x7fff;
/** S16_MIN: the contract broken, every access counts. */
const BROKEN = -0x8000;

/** Calls the kernel inlines and lets keep r1..r5 beyond their arguments: how many arguments each takes. */
const FASTCALL_HELPERS: ReadonlyMap<number, number> = new Map([[8, 0]]); // bpf_get_smp_processor_id
const FASTCALL_KFUNCS: ReadonlyMap<string, number> = new Map([["bpf_cast_to_kern_ctx", 1], ["bpf_rdonly_cast", 2]]);

/** The patterns of one program, and per subprogram where the spared stack region begins. */
export class Fastcall {
  /** Slots of the spills and fills of patterns the kernel would remove. */
  readonly pattern = new Set<number>();
  /** fastcall_stack_off per subprogram: accesses below it are patterns, or break the contract. */
  readonly stackOff: number[];
  /** Whether the subprogram has a pattern to remove (remove_fastcall_spills_fills' `modified`). */
  readonly removes: boolean[];

  constructor(private readonly cfg: Cfg, kfuncAt: ReadonlyMap<number, string> | undefined) {
    this.stackOff = cfg.subprogs.map(() => NO_PATTERN);
    this.removes = cfg.subprogs.map(() => false);
    cfg.subprogs.forEach((sp, k) => {
      // mark_fastcall_patterns: the patterns start at the lowest 8-byte spill of the subprogram.
      let lowest = 0;
      for (let t = sp.start; t < sp.end; t++) {
        const i = cfg.insns[t];
        if (i && i.opcode === STX_DW && i.dst === 10) lowest = Math.min(lowest, i.off);
      }
      for (let t = sp.start; t < sp.end; t++) {
        const i = cfg.insns[t];
        if (i && i.opcode === CALL) this.markCall(k, t, i, lowest, kfuncAt);
      }
    });
  }

  /** mark_fastcall_pattern_for_call: spill/fill pairs at lowest, lowest+8... around the call, one register each. */
  private markCall(subprog: number, t: number, call: Instruction, lowest: number, kfuncAt: ReadonlyMap<number, string> | undefined): void {
    const args = call.src === 0 ? FASTCALL_HELPERS.get(call.imm) : call.src === 2 ? FASTCALL_KFUNCS.get(kfuncAt?.get(t) ?? "") : undefined;
    if (args === undefined) return;
    const clobbered = (1 << (args + 1)) - 1;
    let expected = CALLER_SAVED & ~clobbered;
    let off = lowest;
    let n = 0;
    for (let k = 1; k <= 6; k++, off += 8) {
      const stx = this.cfg.insns[t - k];
      const ldx = this.cfg.insns[t + k];
      if (!stx || !ldx || stx.opcode !== STX_DW || ldx.opcode !== LDX_DW || stx.dst !== 10 || ldx.src !== 10) break;
      if (stx.src !== ldx.dst || !(expected & (1 << stx.src)) || stx.off !== off || ldx.off !== off) break;
      expected &= ~(1 << stx.src);
      this.pattern.add(t - k).add(t + k);
      n++;
    }
    if (n === 0) return;
    this.removes[subprog] = true;
    this.stackOff[subprog] = Math.min(this.stackOff[subprog]!, off);
  }

  /** check_fastcall_stack_contract: a stack access at `off` by the instruction at `t`. */
  access(subprog: number, t: number, off: number): void {
    if (this.stackOff[subprog]! <= off || this.pattern.has(t)) return;
    // Something else uses the region: the subprogram keeps its spills, fills and depth.
    this.stackOff[subprog] = BROKEN;
    this.removes[subprog] = false;
    const sp = this.cfg.subprogs[subprog]!;
    for (const s of [...this.pattern]) if (s >= sp.start && s < sp.end) this.pattern.delete(s);
  }

  /** remove_fastcall_spills_fills: the subprogram's depth once its patterns are gone. */
  depth(subprog: number, depth: number): number {
    return this.removes[subprog] ? -this.stackOff[subprog]! : depth;
  }
}
