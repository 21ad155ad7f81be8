/**
 * @fileoverview Pointer arithmetic for unprivileged loaders (no bypass_spec_v1): the kernel
 * masks a register offset at run time against Spectre v1, so the verifier must know the
 * masking window of each such instruction (sanitize_ptr_alu, retrieve_ptr_limit), and the
 * result must stay in bounds (sanitize_check_bounds). Privileged walks skip all of it.
 * Not modelled: the speculative path the kernel also walks with the offset truncated to 0
 * (sanitize_speculative_path) and the speculative branches of jumps it decides.
 */

import { tnumStr } from "./tnum.js";
import { Reject } from "./env.js";
import { boundsCheck } from "./memory.js";
import type { Scalar } from "./scalar.js";
import { isConst } from "./scalar.js";
import type { Reg } from "./state.js";
import type { Walker } from "./walker.js";

const MAX_BPF_STACK = 512;
const PROHIBITED = "pointer arithmetic with it prohibited for !root";

/** The bpf_insn_aux_data alu_state bits. */
const ALU_SANITIZE_SRC = 1 << 0;
const ALU_SANITIZE_DST = 1 << 1;
const ALU_NEG_VALUE = 1 << 2;
const ALU_NON_POINTER = 1 << 3;
const ALU_IMMEDIATE = 1 << 4;

/** What the first half of sanitize_ptr_alu keeps for the commit after the operation (bpf_sanitize_info). */
export interface SanitizeInfo {
  readonly state: number;
  readonly limit: number;
  readonly maskToLeft: boolean;
}

/** What the offset register and the pointer register are called in the kernel's messages. */
interface Names { readonly dst: number; readonly src: number; readonly offInDst: boolean }

const u32 = (v: bigint): number => Number(BigInt.asUintN(32, v));

/** retrieve_ptr_limit: how far the pointer may move, or why it may not be masked. */
function ptrLimit(ptr: Reg, maskToLeft: boolean): number | "type" | "limit" {
  let max: number;
  let limit: number;
  if (ptr.type === "fp") {
    max = MAX_BPF_STACK + (maskToLeft ? 1 : 0);
    limit = u32(-(ptr.s.varOff.value + BigInt(ptr.off)));
  } else if (ptr.type === "map_value" && ptr.map) {
    max = ptr.map.valueSize;
    limit = u32((maskToLeft ? ptr.s.smin : ptr.s.umax) + BigInt(ptr.off));
  } else return "type";
  return limit >= max ? "limit" : limit;
}

function fail(w: Walker, i: Instruction1, why: "bounds" | "type" | "paths" | "limit", n: Names, op: "add" | "sub"): never {
  switch (why) {
    // sanitize_err, as this kernel names them: the source for the bounds, the destination for the type,
    // whichever of the two holds the pointer (6.12's selftests expect the other way round for `scalar op pointer`).
    case "bounds": return w.reject(`R${n.src} has unknown scalar with mixed signed bounds, ${PROHIBITED}`);
    case "type": return w.reject(`R${n.dst} has pointer with unsupported alu operation, ${PROHIBITED}`);
    case "paths": return w.reject(`R${i.dst} tried to ${op} from different maps, paths or scalars, ${PROHIBITED}`);
    case "limit": return w.reject(`R${i.dst} tried to ${op} beyond pointer bounds, ${PROHIBITED}`);
  }
}

type Instruction1 = { readonly dst: number; readonly src: number; readonly opcode: number };
const isRegSource = (i: Instruction1): boolean => (i.opcode & 0x08) !== 0;

/** update_alu_sanitation_state: one instruction, one masking window, whatever path reaches it. */
function record(w: Walker, state: number, limit: number): boolean {
  const prev = w.aluSanitation.get(w.insn);
  if (prev && (prev.state !== state || prev.limit !== limit)) return false;
  w.aluSanitation.set(w.insn, { state, limit });
  return true;
}

/** sanitize_val_alu: a scalar add or sub of a register marks its instruction as not a pointer's. */
export function sanitizeScalarAlu(w: Walker, i: Instruction1): void {
  if (w.env.privileged || !isRegSource(i)) return;
  const op = (i.opcode & 0xf0) === 0x00 ? "add" : "sub";
  if (!record(w, ALU_NON_POINTER, 0)) fail(w, i, "paths", { dst: i.dst, src: i.src, offInDst: false }, op);
}

/** The first half of sanitize_ptr_alu, before the pointer moves: undefined when nothing is masked. */
export function sanitizeBefore(w: Walker, i: Instruction1, ptr: Reg, off: Scalar, op: "add" | "sub", offInDst: boolean): SanitizeInfo | undefined {
  if (w.env.privileged || !isRegSource(i)) return undefined;
  const n = { dst: i.dst, src: i.src, offInDst };
  const imm = isConst(off);
  const neg = off.smin < 0n;
  if (!imm && neg !== off.smax < 0n) fail(w, i, "bounds", n, op);
  const maskToLeft = (op === "add" && neg) || (op === "sub" && !neg);
  const limit = ptrLimit(ptr, maskToLeft);
  if (typeof limit !== "number") fail(w, i, limit, n, op);
  const state = (neg ? ALU_NEG_VALUE : 0) | (imm ? ALU_IMMEDIATE : 0) | (offInDst ? ALU_SANITIZE_DST : ALU_SANITIZE_SRC);
  return { state, limit, maskToLeft };
}

/** sanitize_check_bounds, then the commit half of sanitize_ptr_alu, once the pointer has moved. */
export function sanitizeAfter(w: Walker, i: Instruction1, dst: Reg, info: SanitizeInfo | undefined, op: "add" | "sub", offInDst: boolean): void {
  if (w.env.privileged) return;
  if (dst.type === "fp") {
    const off = dst.off + Number(BigInt.asIntN(64, dst.s.varOff.value));
    if (!isConst(dst.s)) w.reject(`R${i.dst} variable stack access prohibited for !root, var_off=${tnumStr(dst.s.varOff)} off=${off}`);
    if (off >= 0 || off < -MAX_BPF_STACK) w.reject(`R${i.dst} stack pointer arithmetic goes out of range, prohibited for !root; off=${off}`);
  } else if (dst.type === "map_value" && dst.map) {
    // check_map_access of one byte, as a helper would touch it: its own lines, then sanitize_check_bounds'.
    try {
      boundsCheck(w, i.dst, dst, 0, 1, dst.map.valueSize, `invalid access to map value, value_size=${dst.map.valueSize}`);
    } catch (e) {
      if (!(e instanceof Reject)) throw e;
      w.reject(`R${i.dst} pointer arithmetic of map value goes out of range, prohibited for !root`, w.insn, [...e.detail, e.message]);
    }
  }
  if (!info) return;
  const limit = ptrLimit(dst, info.maskToLeft);
  const n = { dst: i.dst, src: i.src, offInDst };
  if (typeof limit !== "number") fail(w, i, limit, n, op);
  if (!record(w, info.state, Math.abs((info.limit - limit) | 0))) fail(w, i, "paths", n, op);
}
