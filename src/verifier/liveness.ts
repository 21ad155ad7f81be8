/**
 * @fileoverview Which registers are live at each instruction, by a backward data-flow
 * pass over each subprogram, as the kernel's compute_live_registers: pruning compares
 * only live registers, so dead values never keep two states apart.
 */

import { Class, JmpOp, Mode, opClass, opCode, opMode, opSource, PseudoCall, Source, AtomicOp } from "../isa/opcodes.js";
import { type Cfg, isJmp, jumpTarget } from "./cfg.js";

const ARGS = 0b111110; // r1-r5
const CALLER_SAVED = 0b111111; // r0-r5

/** liveIn[slot]: bit i set when ri may be read before it is written from that slot on. */
export function liveRegisters(cfg: Cfg, helperArgCount: (id: number) => number): Int32Array {
  const n = cfg.length;
  const use = new Int32Array(n);
  const def = new Int32Array(n);
  for (let t = 0; t < n; t++) {
    const i = cfg.insns[t];
    if (!i) continue;
    const d = 1 << i.dst;
    const s = 1 << i.src;
    const cls = opClass(i.opcode);
    switch (cls) {
      case Class.Alu:
      case Class.Alu64: {
        const op = opCode(i.opcode);
        const x = opSource(i.opcode) === Source.X && op !== 0x80 && op !== 0xd0;
        if (op === 0xb0) use[t] = x ? s : 0;
        else use[t] = d | (x ? s : 0);
        def[t] = d;
        break;
      }
      case Class.Ldx:
        use[t] = s;
        def[t] = d;
        break;
      case Class.St:
        use[t] = d;
        break;
      case Class.Stx:
        use[t] = d | s;
        if (opMode(i.opcode) === Mode.Atomic) {
          if (i.imm === AtomicOp.Cmpxchg) { use[t] |= 1; def[t] = 1; }
          else if (i.imm === AtomicOp.LoadAcquire) { use[t] = s; def[t] = d; }
          else if (i.imm & AtomicOp.Fetch) def[t] = s;
        }
        break;
      case Class.Ld:
        if (opMode(i.opcode) === Mode.Imm) def[t] = d;
        else { use[t] = (1 << 6) | (opMode(i.opcode) === Mode.Ind ? s : 0); def[t] = CALLER_SAVED; }
        break;
      default: {
        const op = opCode(i.opcode);
        if (op === JmpOp.Exit) use[t] = 1;
        else if (op === JmpOp.Call) {
          use[t] = i.src === PseudoCall.Helper ? ARGS & ((1 << (helperArgCount(i.imm) + 1)) - 1) : ARGS;
          def[t] = CALLER_SAVED;
        } else if (op !== JmpOp.Ja && op !== JmpOp.Jcond) use[t] = d | (opSource(i.opcode) === Source.X ? s : 0);
      }
    }
  }
  const live = new Int32Array(n);
  for (let changed = true; changed;) {
    changed = false;
    for (let t = n - 1; t >= 0; t--) {
      const i = cfg.insns[t];
      if (!i) continue;
      let out = 0;
      if (isJmp(i.opcode)) {
        const op = opCode(i.opcode);
        if (op === JmpOp.Exit) out = 0;
        else if (op === JmpOp.Call) out = live[t + 1] ?? 0;
        else if (op === JmpOp.Ja) out = live[jumpTarget(i, t)] ?? 0;
        else out = (live[t + 1] ?? 0) | (live[jumpTarget(i, t)] ?? 0);
      } else {
        out = live[t + (i.opcode === 0x18 ? 2 : 1)] ?? 0;
      }
      const v = use[t]! | (out & ~def[t]!);
      if (v !== live[t]) {
        live[t] = v;
        changed = true;
      }
    }
  }
  return live;
}
