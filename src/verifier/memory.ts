/**
 * @fileoverview check_mem_access: loads and stores through each pointer type (stack slots
 * with spills, map values, packets within their proven range, the context through the
 * program type's rules, helper memory), and atomics.
 */

import type { Instruction } from "../isa/instruction.js";
import { AtomicOp, Class, Mode, opMode, opSize, sizeBytes } from "../isa/opcodes.js";
import { destroyIfDynptrSlot } from "./dynptr.js";
import { F_RDONLY_PROG, F_WRONLY_PROG, MAX_PACKET_OFF, MAX_STACK, MAX_VAR_OFF, PKT_WRITE_TYPES, type VerifierEnv } from "./env.js";
import { formatReg, typeName } from "./log.js";
import { tnumAdd, tnumConst, tnumIsAligned, tnumStr } from "./tnum.js";
import { type BtfCtx, safeField, structLoad, structOpsWrite } from "./btf-ptr.js";
import { constValue, isConst, type Scalar, scalarConst, scalarLoad, scalarSignedRange, scalarUnknown, scalarZext } from "./scalar.js";
import { assignReg, BTF_PTR_RCU, BTF_PTR_TRUSTED, BTF_PTR_UNTRUSTED, copyReg, type Frame, type Reg, SCALAR_UNKNOWN, setNotInit, setPointer, setScalar, type StackSlot } from "./state.js";
import { checkLocalAccess, checkValueFields, isLocalObj, kptrAccess, type KptrOp } from "./kptr.js";
import type { Walker } from "./walker.js";

const INVALID8 = "????????";

/** Loads (LDX), stores of registers (STX) and of immediates (ST). */
export function checkMemAccess(w: Walker, i: Instruction, cls: Class): void {
  const size = sizeBytes(opSize(i.opcode));
  const write = cls !== Class.Ldx;
  const baseNo = write ? i.dst : i.src;
  const base = w.readReg(baseNo);
  let value: Reg | undefined;
  if (cls === Class.Stx) value = w.readReg(i.src);
  // check_mem_access's leak checks are per pointer type; kernel structs refuse an unprivileged access before any.
  if (write && value && baseNo !== 10 && !w.env.privileged && value.type !== "scalar" && base.type !== "fp" && base.type !== "map_ptr" && base.type !== "ptr_") {
    w.reject(`R${i.src} leaks addr into ${base.type === "map_value" ? "map" : typeName(base)}`);
  }
  const signed = opMode(i.opcode) === Mode.Memsx;
  if (w.env.strictAlignment && size > 1 && base.type !== "fp" && base.type !== "scalar" && base.type !== "arena" && !base.maybeNull) strictAlignment(w, base, i.off, size);
  const result = access(w, baseNo, base, i.off, size, write, value, cls === Class.St ? i.imm : undefined, signed, i.src);
  savePtrType(w, base.type);
  if (!write) {
    // Reached only when the access passed: for a packet pointer, within [data, data_end).
    w.packetLoads.set(w.insn, (w.packetLoads.get(w.insn) ?? true) && base.type === "pkt");
    const dst = w.reg(i.dst);
    if (result) assignReg(dst, result);
    else setScalar(dst, scalarLoad(size, signed));
  }
}

/** Pointers whose loads and stores are rewritten by type (reg_type_mismatch_ok is false for them). */
const REWRITTEN = new Set(["ctx", "sock", "sock_common", "tcp_sock", "xdp_sock", "ptr_", "arena"]);

/** save_aux_ptr_type: one instruction cannot serve a rewritten pointer on one path and another pointer on another. */
function savePtrType(w: Walker, type: string): void {
  const prev = w.ptrTypeAt.get(w.insn);
  if (prev === undefined) w.ptrTypeAt.set(w.insn, type);
  else if (prev !== type && (REWRITTEN.has(prev) || REWRITTEN.has(type))) w.reject("same insn cannot be used with different pointers");
}

/**
 * One access of `size` bytes at `base + off`. For a load, returns the register it yields
 * (undefined: a scalar of that size).
 */
export function access(w: Walker, regno: number, base: Reg, off: number, size: number, write: boolean, value: Reg | undefined, imm: number | undefined, signed: boolean, valueRegno = 0, atomic = false): Reg | undefined {
  const t = typeName(base);
  if (base.maybeNull) w.reject(`R${regno} invalid mem access '${t}'`);
  // check_ptr_alignment comes first in check_mem_access; the stack is checked strictly in any mode.
  if (base.type === "fp") checkAlignment(w, base, off, size);
  switch (base.type) {
    case "fp":
      return stackAccess(w, regno, base, off, size, write, value, imm);
    case "map_value":
      return mapValueAccess(w, regno, base, off, size, write, { kind: atomic ? "atomic" : !write ? "load" : imm !== undefined ? "store_imm" : "store", value, valueRegno, imm });
    case "map_key":
      if (write) w.reject(`write to change key R${regno} not allowed`);
      boundsCheck(w, regno, base, off, size, base.map!.keySize, `invalid access to map key, key_size=${base.map!.keySize}`);
      return undefined;
    case "ctx":
      return ctxAccess(w, regno, base, off, size, write, signed);
    case "pkt":
    case "pkt_meta":
      if (write && !PKT_WRITE_TYPES.has(w.env.type)) w.reject(`cannot write into packet`);
      if (write && value && value.type !== "scalar" && !w.env.privileged) w.reject(`R${value === undefined ? 0 : regno} leaks addr into packet`);
      packetAccess(w, regno, base, off, size);
      return undefined;
    case "mem":
      if (isLocalObj(base)) checkLocalAccess(w, regno, base, off, size);
      if (write && base.rdonly) w.reject(`R${regno} cannot write into ${t}`);
      boundsCheck(w, regno, base, off, size, base.memSize, `invalid access to memory, mem_size=${base.memSize}`);
      return undefined;
    case "map_ptr":
      // check_ptr_to_map_access: root (allow_ptr_leaks) may read the kernel's struct bpf_map.
      if (!w.env.privileged) w.reject(`'struct ${mapStructName(base.map?.type)}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN`);
      // check_ptr_to_map_access: named by the map's kernel struct (map_btf_id), the offset before the write.
      if (off + base.off < 0) w.reject(`R${regno} is ${mapStructName(base.map?.type)} invalid negative access: off=${off + base.off}`);
      if (write) w.reject(`only read from ${mapStructName(base.map?.type)} is supported`);
      return undefined;
    case "ptr_":
      // check_ptr_to_btf_access: who may read kernel structs comes before where.
      if (!w.env.privileged) w.reject(`'struct ${base.btfType}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN`);
      if (!w.env.gpl && w.env.kernelBtf && base.btfType) w.reject(`Cannot access kernel 'struct ${base.btfType}' from non-GPL compatible program`);
      if (off + base.off < 0) w.reject(`R${regno} is ptr_${base.btfType} invalid negative access: off=${off + base.off}`);
      if (write) {
        const no = w.env.type === "struct_ops" && w.env.kernelBtf && isConst(base.s)
          ? structOpsWrite(w.env.kernelBtf, w.env.btfCtx?.structOps, base.btfType, off + base.off + Number(BigInt.asIntN(64, constValue(base.s)!)), size)
          : "only read is supported";
        if (no) w.reject(no);
        return undefined;
      }
      if (w.env.kernelBtf && base.btfType && isConst(base.s)) {
        const l = structLoad(w.env.kernelBtf, base.btfType, off + base.off + Number(BigInt.asIntN(64, constValue(base.s)!)), size);
        if (l.kind === "bad") w.reject(l.message);
        if (l.kind === "ptr") return walkedPtr(w, base, l.struct, l.field);
      }
      return undefined;
    case "arena":
      // Any offset: the JIT bounds an arena access to the arena and a fault reads zero.
      return undefined;
    case "tp_buffer": {
      // check_tp_buffer_access: any constant offset from the start, read or written.
      const o = off + base.off;
      if (o < 0) w.reject(`R${regno} invalid tracepoint buffer access: off=${o}, size=${size}`);
      if (!isConst(base.s) || constValue(base.s) !== 0n) w.reject(`R${regno} invalid variable buffer offset: off=${o}, var_off=${tnumStr(base.s.varOff)}`);
      return undefined;
    }
    case "sock":
    case "sock_common":
    case "tcp_sock":
    case "flow_keys":
      if (write && base.type !== "flow_keys") w.reject(`R${regno} cannot write into ${t}`);
      if (off + base.off < 0) w.reject(`R${regno} invalid ${base.type} access off=${off + base.off} size=${size}`);
      if (base.type !== "flow_keys" && !sockFieldOk(base.type, off + base.off, size)) w.reject(`R${regno} invalid ${base.type} access off=${off + base.off} size=${size}`);
      return undefined;
    default:
      w.reject(`R${regno} invalid mem access '${t}'`);
  }
}

/** struct bpf_sock's fields that allow 1-, 2- and 4-byte loads (bpf_sock_is_valid_access): state, family, type, protocol, src_port, rx_queue_mapping, the addresses. */
const SOCK_NARROW = (off: number): boolean => [4, 8, 12, 44, 72, 76].includes(off) || (off >= 24 && off < 44) || (off >= 52 && off < 72);

/** check_sock_access: bpf_sock_is_valid_access and its sock_common and tcp_sock variants, for a load. */
function sockFieldOk(type: string, off: number, size: number): boolean {
  if (off % size !== 0) return false;
  if (type === "tcp_sock") return off < 112 && size === (off === 80 || off === 88 ? 8 : 4);
  if (off >= 80 || (type === "sock_common" && off >= 8 && off < 24)) return false;
  if (SOCK_NARROW(off & ~3)) return size <= 4;
  if (off >= 48 && off < 52) return off < 50 && size <= 4; // dst_port, then padding
  return size === 4;
}

/**
 * off + the register's offsets within [0, limit), as check_mem_region_access: the failing
 * access is printed, then which end of the range left the region.
 */
export function boundsCheck(w: Walker, regno: number, base: Reg, off: number, size: number, limit: number, prefix: string): void {
  const s = base.s;
  if (s.smin < 0n && (s.smin === -(1n << 63n) || s.smin + BigInt(base.off + off) < 0n)) {
    w.reject(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  const lo = Number(s.smin) + base.off + off;
  if (lo < 0 || lo + size > limit) w.reject2(`${prefix} off=${lo} size=${size}`, `R${regno} min value is outside of the allowed memory range`);
  if (s.umax >= BigInt(MAX_VAR_OFF)) w.reject(`R${regno} unbounded memory access, make sure to bounds check any such access`);
  const hi = Number(s.umax) + base.off + off;
  if (hi + size > limit) w.reject2(`${prefix} off=${hi} size=${size}`, `R${regno} max value is outside of the allowed memory range`);
}

/** The var_off part of an alignment message: the constant, or the tnum. */
function varOffText(r: Reg): string {
  return isConst(r.s) ? `${BigInt.asIntN(64, r.s.varOff.value)}` : `(0x${r.s.varOff.value.toString(16)}; 0x${r.s.varOff.mask.toString(16)})`;
}

/** check_ptr_alignment under strict rules (the stack always; everything for atomics). */
export function checkAlignment(w: Walker, base: Reg, off: number, size: number): void {
  const desc: Record<string, string> = { map_value: "value ", pkt: "packet ", pkt_meta: "packet ", ctx: "context ", fp: "stack ", mem: "", map_key: "", flow_keys: "flow keys ", sock: "sock " };
  // check_generic_ptr_alignment: var_off plus the fixed offsets must have no low bit possibly set.
  const at = tnumAdd(base.s.varOff, tnumConst(BigInt.asUintN(64, BigInt(base.off + off))));
  if (size > 1 && !tnumIsAligned(at, BigInt(size))) w.reject(`misaligned ${desc[base.type] ?? ""}access off ${varOffText(base)}+${base.off}+${off} size ${size}`);
}

/** check_ptr_alignment in strict mode (the stack is checked in any mode): packets count NET_IP_ALIGN's 2 bytes. */
function strictAlignment(w: Walker, base: Reg, off: number, size: number): void {
  if (base.type !== "pkt" && base.type !== "pkt_meta") return checkAlignment(w, base, off, size);
  const known = isConst(base.s) ? Number(BigInt.asIntN(64, base.s.varOff.value)) : undefined;
  const aligned = known !== undefined ? (2 + known + base.off + off) % size === 0 : (base.s.varOff.mask & BigInt(size - 1)) === 0n && (BigInt(2 + base.off + off) + base.s.varOff.value) % BigInt(size) === 0n;
  if (!aligned) w.reject(`misaligned packet access off 2+${varOffText(base)}+${base.off}+${off} size ${size}`);
}

function mapValueAccess(w: Walker, regno: number, base: Reg, off: number, size: number, write: boolean, op: KptrOp): Reg | undefined {
  const map = base.map!;
  if (write && map.flags & F_RDONLY_PROG) w.reject(`write into map forbidden, value_size=${map.valueSize} off=${base.off + off} size=${size}`);
  if (!write && map.flags & F_WRONLY_PROG) w.reject(`read from map forbidden, value_size=${map.valueSize} off=${base.off + off} size=${size}`);
  boundsCheck(w, regno, base, off, size, map.valueSize, `invalid access to map value, value_size=${map.valueSize}`);
  // check_map_access: special fields are touched only through their helpers, kptrs by whole words.
  const kptr = checkValueFields(w, regno, base, off, size, "direct");
  if (kptr) return kptrAccess(w, kptr, op);
  if (!write && isConst(base.s) && map.freeze && map.flags & F_RDONLY_PROG) {
    // bpf_map_direct_read: a frozen read-only map's bytes are known at verification.
    const bytes = map.contents?.[0]?.value;
    const at = base.off + off + Number(constValue(base.s)!);
    if (bytes && at + size <= bytes.length) {
      let v = 0n;
      for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[at + k]!);
      const r = copyReg(w.reg(0));
      setScalar(r, scalarConst(v));
      return r;
    }
  }
  return undefined;
}

function packetAccess(w: Walker, regno: number, base: Reg, off: number, size: number): void {
  const s = base.s;
  if (s.smin < 0n) w.reject(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  const o = base.off + off;
  if (o < 0 || o + size > base.range) {
    w.reject2(`invalid access to packet, off=${o} size=${size}, R${regno}(id=${base.id},off=${o},r=${base.range})`, `R${regno} offset is outside of the packet`);
  }
  if (s.umax + BigInt(o) > BigInt(MAX_PACKET_OFF)) w.reject(`R${regno} unbounded memory access, make sure to bounds check any such access`);
}

/** __check_ptr_off_reg for a ctx pointer: no fixed offset, no variable one, in the kernel's order. */
export function checkCtxOff(w: Walker, regno: number, r: Reg): void {
  if (r.off < 0) w.reject(`negative offset ctx ptr R${regno} off=${r.off} disallowed`);
  if (r.off !== 0) w.reject(`dereference of modified ctx ptr R${regno} off=${r.off} disallowed`);
  if (!isConst(r.s) || constValue(r.s)! !== 0n) w.reject(`variable ctx access var_off=${tnumStr(r.s.varOff)} disallowed`);
}

/**
 * check_ptr_to_btf_access: a pointer walked from a BTF pointer. From an untrusted one it is
 * untrusted; from a trusted (or referenced) or RCU one it is untrusted too (as this kernel's
 * logs show), unless the member is in the kernel's BTF_TYPE_SAFE_* lists (trusted, or RCU
 * inside an RCU section); from a plain one (fentry's arguments) it is plain.
 */
function walkedPtr(w: Walker, base: Reg, struct: string, field: string): Reg {
  const r = btfPtr(w, struct);
  if (base.range & BTF_PTR_UNTRUSTED) { r.range = BTF_PTR_UNTRUSTED; return r; }
  if (!(base.refObjId || base.range & (BTF_PTR_TRUSTED | BTF_PTR_RCU))) return r;
  const safe = safeField(base.btfType, field);
  const inRcu = !w.env.sleepable || w.cur.rcuLock !== 0 || w.cur.activeLock !== 0;
  if (safe === "trusted" || safe === "trusted_or_null") r.range = BTF_PTR_TRUSTED;
  else if (inRcu && !base.maybeNull && safe) r.range = BTF_PTR_RCU;
  else r.range = BTF_PTR_UNTRUSTED;
  if (safe?.endsWith("_or_null") && r.range !== BTF_PTR_UNTRUSTED) { r.maybeNull = true; r.id = w.newId(); }
  return r;
}

/** A PTR_TO_BTF_ID of the kernel's struct `name`, as a load gives it. */
function btfPtr(w: Walker, name: string): Reg {
  const r = copyReg(w.reg(0));
  setPointer(r, "ptr_");
  r.btfType = name;
  return r;
}

function ctxAccess(w: Walker, regno: number, base: Reg, off: number, size: number, write: boolean, signed = false): Reg | undefined {
  checkCtxOff(w, regno, base);
  const ops = w.env.ops;
  if (!ops) w.reject(`invalid bpf_context access off=${off} size=${size}`);
  if (w.env.btfCtx) return btfCtxRead(w, w.env.btfCtx, off, size, write);
  // btf_ctx_access: an iterator's pointer arguments are BTF-typed kernel pointers.
  const arg = !write && size === 8 && off % 8 === 0 ? w.env.btfCtxArgs?.[off / 8] : undefined;
  if (arg) {
    // prog_args_trusted: an iterator's objects are trusted.
    const r = btfPtr(w, arg.struct);
    r.range = BTF_PTR_TRUSTED;
    if (arg.nullable) { r.maybeNull = true; r.id = w.newId(); }
    return r;
  }
  const v = ops.isValidAccess({ off, size, write, attachType: w.env.attachType, privileged: w.env.privileged });
  // info->is_ldsx: the is_valid_access of every type refuses a sign-extending load of a pointer field.
  if (!v.ok || (signed && v.type !== "scalar")) w.reject(`invalid bpf_context access off=${off} size=${size}`);
  if (write || v.type === "scalar") return undefined;
  const r = copyReg(w.reg(0));
  setPointer(r, "scalar");
  switch (v.type) {
    case "packet": r.type = "pkt"; break;
    case "packet_meta": r.type = "pkt_meta"; break;
    case "packet_end":
    case "mem_end": r.type = "pkt_end"; break;
    case "flow_keys": r.type = "flow_keys"; break;
    case "mem": r.type = "pkt"; break;
    case "socket": r.type = "sock"; break;
    case "socket_or_null": r.type = "sock"; r.maybeNull = true; r.id = w.newId(); break;
    case "sock_common_or_null": r.type = "sock_common"; r.maybeNull = true; r.id = w.newId(); break;
    case "tp_buffer": r.type = "tp_buffer"; break;
    case "btf_id": r.type = "ptr_"; r.btfType = v.btfType ?? ""; break;
    case "trusted_btf_id": r.type = "ptr_"; r.btfType = v.btfType ?? ""; r.range = BTF_PTR_TRUSTED; break;
    case "btf_id_or_null": r.type = "ptr_"; r.btfType = v.btfType ?? ""; r.maybeNull = true; r.id = w.newId(); break;
  }
  return r;
}

/**
 * tracing_prog_is_valid_access and btf_ctx_access: a BTF-typed ctx (tp_btf, fentry, fexit,
 * fmod_ret, lsm) is read one u64 argument slot at a time, typed by the attach function's BTF.
 */
function btfCtxRead(w: Walker, ctx: BtfCtx, off: number, size: number, write: boolean): Reg | undefined {
  const refuse = (why?: string): never => {
    const m = `invalid bpf_context access off=${off} size=${size}`;
    return why ? w.reject2(why, m) : w.reject(m);
  };
  if (off < 0 || off >= 8 * 12 || write || off % size) refuse();
  const f = ctx.func;
  if (off % 8) refuse(`func '${f}' offset ${off} is not multiple of 8`);
  const arg = ctx.argOfSlot[off / 8] ?? ctx.beyond;
  const slot = ctx.args[arg];
  if (arg > ctx.nrArgs || !slot) refuse(`func '${f}' doesn't have ${arg + 1}-th argument`);
  if (slot.kind === "scalar" && !slot.pointer) {
    // An lsm hook's return value so far is within the hook's range (is_retval, __mark_reg_s32_range).
    const range = w.env.returnRange;
    if (arg !== ctx.nrArgs || w.env.attachType !== "lsm_mac" || !range || size !== 8) return undefined;
    const r = copyReg(w.reg(0));
    setScalar(r, scalarSignedRange(BigInt(range.min), BigInt(range.max)));
    return r;
  }
  if (slot.kind === "bad" && !slot.pointer) return refuse(slot.message);
  if (size !== 8) refuse(`func '${f}' size ${size} must be 8`);
  if (slot.kind === "bad") return refuse(slot.message);
  if (slot.kind === "scalar") return undefined;
  w.say(`func '${f}' arg${slot.arg} has btf_id ${slot.btfId} type STRUCT '${slot.struct}'`);
  const r = btfPtr(w, slot.struct);
  if (ctx.trusted) r.range = BTF_PTR_TRUSTED;
  if (slot.nullable) { r.maybeNull = true; r.id = w.newId(); }
  return r;
}

// ---- the stack ----

function slotOf(f: Frame, k: number): StackSlot {
  while (f.stack.length <= k) f.stack.push({ types: INVALID8, spilled: undefined });
  return f.stack[k]!;
}

function frameOf(w: Walker, base: Reg): Frame {
  return w.cur.frames[base.frameno]!;
}

function stackAccess(w: Walker, regno: number, base: Reg, off: number, size: number, write: boolean, value: Reg | undefined, imm: number | undefined): Reg | undefined {
  const f = frameOf(w, base);
  if (!isConst(base.s)) return varStackAccess(w, regno, base, f, off, size, write);
  const o = base.off + off + Number(BigInt.asIntN(64, constValue(base.s)!));
  if (o < -MAX_STACK || o + size > 0 || o >= 0 || unallocatedRead(w, f, o, write)) {
    w.reject(`invalid ${write ? "write to" : "read from"} stack R${regno} off=${o} size=${size}`);
  }
  touch(w, f, o);
  return write ? stackWrite(w, f, o, size, value, imm) : stackRead(w, f, o, size, regno);
}

/** Records the depth the frame's subprogram reaches. */
/** check_stack_slot_within_bounds: without allow_uninit_stack a read must lie in the stack allocated so far (by writes). */
function unallocatedRead(w: Walker, f: Frame, o: number, write: boolean): boolean {
  return !write && !w.env.privileged && o < -8 * f.stack.length;
}

function touch(w: Walker, f: Frame, o: number): void {
  w.env.fastcall?.access(f.subprog, w.insn, o);
  if (-o > f.depth) f.depth = -o;
  if (-o > w.stackDepth[f.subprog]!) w.stackDepth[f.subprog] = -o;
}

function stackWrite(w: Walker, f: Frame, o: number, size: number, value: Reg | undefined, imm: number | undefined): undefined {
  const k = Math.floor((-o - 1) / 8);
  const slot = slotOf(f, k);
  const at = o + 8 * (k + 1); // byte index in the slot, from its lowest address
  if (slot.spilled && slot.types.includes("r") && size !== 8 && slot.spilled.type !== "scalar" && !w.env.privileged) {
    w.reject(`attempt to corrupt spilled pointer on stack`);
  }
  markStackAccess(w, f.frameno, k);
  // Only a whole slot written counts as written for liveness (check_stack_write_fixed_off).
  if (size === 8 && at === 0) w.stackLive.write(f.frameno, k);
  // A write over a dynptr's slot ends the dynptr (refused if it holds a reference).
  if (slot.types[0] === "d") destroyIfDynptrSlot(w, f, k);
  const aligned = at === 0;
  if (value && value.type !== "scalar") {
    if (size !== 8) w.reject(`invalid size of register spill`);
    if (value.type === "fp" && value.frameno > f.frameno && f !== w.frame) w.reject(`cannot spill pointers to stack into stack frame of the caller`);
    slot.types = "rrrrrrrr";
    slot.spilled = copyReg(value);
    return undefined;
  }
  const scalar: Scalar | undefined = value ? value.s : imm !== undefined ? scalarConst(BigInt(imm)) : undefined;
  const fits = !!scalar && (size === 8 || fitsIn(scalar, size));
  if (aligned && scalar && w.env.privileged) {
    // check_stack_write_fixed_off: a privileged aligned store of a scalar is a spill of `size`
    // bytes, zero or not, fitting or not; assign_scalar_id_before_mov links the slot to its
    // register as a copy does when the value fits, a narrowing spill breaks the link.
    if (value && fits) {
      if (value.id && value.off !== 0) { value.id = 0; value.off = 0; }
      if (!value.id && !isConst(value.s)) value.id = w.newId();
    }
    const r = value ? copyReg(value) : copyReg(w.reg(0));
    if (!value) setScalar(r, scalarConst(BigInt.asUintN(size * 8, BigInt(imm!))));
    if (!fits) { r.id = 0; r.off = 0; }
    slot.types = size === 8 ? "rrrrrrrr" : "r".repeat(size) + slot.types.slice(size).replace(/r/g, "m");
    slot.spilled = r;
    return undefined;
  }
  if (aligned && scalar && fits) {
    const r = value ? copyReg(value) : copyReg(w.reg(0));
    if (!value) setScalar(r, scalarConst(BigInt.asUintN(size * 8, BigInt(imm!))));
    if (size === 8 && r.type === "scalar") {
      slot.types = "rrrrrrrr";
      slot.spilled = r;
      return undefined;
    }
    if (isConst(r.s) && constValue(r.s)! === 0n) {
      slot.types = "0".repeat(size) + slot.types.slice(size).replace(/r/g, "m");
      if (!slot.types.includes("r")) slot.spilled = undefined;
      return undefined;
    }
    slot.types = "r".repeat(size) + slot.types.slice(size).replace(/[r]/g, "m");
    slot.spilled = r;
    return undefined;
  }
  const zero = scalar && isConst(scalar) && BigInt.asUintN(size * 8, constValue(scalar)!) === 0n;
  const ch = zero ? "0" : "m";
  let types = slot.types;
  // A plain write into a slot holding a spill turns every byte the slot had into misc data,
  // zeros too (is_stack_slot_special, scrub_spilled_slot).
  if (types[0] === "r") types = types.replace(/[^?]/g, "m");
  else if (types.includes("r")) types = types.replace(/r/g, "m");
  slot.types = types.slice(0, at) + ch.repeat(size) + types.slice(at + size);
  if (!slot.types.includes("r")) slot.spilled = undefined;
  return undefined;
}

function fitsIn(s: Scalar, size: number): boolean {
  return s.umax < 1n << BigInt(size * 8) && s.smin >= 0n;
}

function stackRead(w: Walker, f: Frame, o: number, size: number, regno: number): Reg | undefined {
  const k = Math.floor((-o - 1) / 8);
  const slot = f.stack[k] ?? { types: INVALID8, spilled: undefined };
  const at = o + 8 * (k + 1);
  const bytes = slot.types.slice(at, at + size);
  markStackAccess(w, f.frameno, k);
  w.stackLive.read(w.cur, f.frameno, w.insn, k);
  if (slot.spilled && bytes.includes("r")) {
    const sp = slot.spilled;
    const spillSize = slot.types.lastIndexOf("r") + 1;
    if (sp.type !== "scalar") {
      if (size !== 8 || at !== 0) w.reject(`invalid size of register fill`);
      return copyReg(sp);
    }
    // The spill's own low bytes (bpf_stack_narrow_access_ok): the register, narrowed to the load.
    if (at === 0 && size === spillSize && (size === 8 || fitsIn(sp.s, size))) return copyReg(sp);
    if (at === 0 && size < spillSize && fitsIn(sp.s, size)) return copyReg(sp);
    // A narrowing fill of the low bytes (or a fill of a narrowing spill): the spill truncated,
    // its link broken (check_stack_read_fixed_off, coerce_reg_to_size).
    if (at === 0 && size <= spillSize && w.env.privileged) {
      const r = copyReg(sp);
      r.id = 0;
      r.off = 0;
      setScalar(r, scalarZext(sp.s, size as 1 | 2 | 4));
      return r;
    }
    const r = copyReg(w.reg(0));
    setScalar(r, scalarLoad(size as 1 | 2 | 4 | 8, false));
    if (at === 0 && isConst(sp.s) && size < spillSize) setScalar(r, scalarConst(BigInt.asUintN(size * 8, constValue(sp.s)!)));
    // Any other fill (wider than the spill, or off its low bytes) knows only a spilled zero in every byte it reads.
    else if (at !== 0 || size > spillSize) {
      const spillZero = isConst(sp.s) && constValue(sp.s)! === 0n;
      if (!w.env.privileged && bytes.includes("?")) w.reject(`invalid read from stack off ${o}+${bytes.indexOf("?")} size ${size}`);
      if (spillZero && /^r+$/.test(bytes)) setScalar(r, scalarConst(0n));
    }
    return r;
  }
  // check_stack_read_fixed_off names the first byte that is not data.
  if (!w.env.privileged && bytes.includes("?")) w.reject(`invalid read from stack off ${o}+${bytes.indexOf("?")} size ${size}`);
  // An iterator's (or dynptr's) slots are not data (check_stack_read_fixed_off).
  const special = bytes.search(/[id]/);
  if (special >= 0) w.reject(`invalid read from stack off ${o}+${special} size ${size}`);
  if (/^0+$/.test(bytes)) {
    const r = copyReg(w.reg(0));
    setScalar(r, scalarConst(0n));
    return r;
  }
  void regno;
  return undefined;
}

/** Stack accesses through a variable offset (privileged only): every byte they may touch. */
function varStackAccess(w: Walker, regno: number, base: Reg, f: Frame, off: number, size: number, write: boolean): undefined {
  const s = base.s;
  const lo = Number(s.smin) + base.off + off;
  const hi = Number(s.smax) + base.off + off;
  if (s.smin < -BigInt(MAX_STACK) || s.smax > BigInt(MAX_STACK) || lo < -MAX_STACK || hi + size > 0) {
    w.reject(`invalid variable-offset ${write ? "write to" : "read from"} stack R${regno} var_off=${formatReg(base)} off=${off} size=${size}`);
  }
  touch(w, f, lo);
  // check_stack_write_var_off: every dynptr the write may touch ends first.
  if (write) for (let b = lo; b < hi + size; b++) { const k = Math.floor((-b - 1) / 8); if (f.stack[k]?.types[0] === "d") destroyIfDynptrSlot(w, f, k); }
  for (let b = lo; b < hi + size; b++) {
    const k = Math.floor((-b - 1) / 8);
    const slot = slotOf(f, k);
    const at = b + 8 * (k + 1);
    if (write) {
      slot.types = slot.types.slice(0, at) + "m" + slot.types.slice(at + 1);
      if (slot.spilled && !slot.types.includes("r")) slot.spilled = undefined;
      else if (slot.spilled) slot.types = slot.types.replace(/r/g, "m"), (slot.spilled = undefined);
    } else {
      w.stackLive.read(w.cur, f.frameno, w.insn, k);
    }
    if (!write && slot.types[at] === "?" && !w.env.privileged) {
      w.reject(`invalid variable-offset read from stack R${regno} var_off=${formatReg(base)} off=${off} size=${size}`);
    }
  }
  return undefined;
}

/** Replaces the path's newest entry (this insn) by one naming the stack slot it touched. */
function markStackAccess(w: Walker, frame: number, spi: number): void {
  w.pushHist(stackEntry(w.insn, frame, spi), true);
}

/** A history entry that says the instruction touched stack slot `spi` of `frame` (INSN_F_STACK_ACCESS). */
export function stackEntry(slot: number, frame: number, spi: number): number {
  return slot * 1024 + 512 + frame * 64 + spi;
}

/**
 * check_helper_mem_access: `size` bytes at a pointer argument must be accessible (and,
 * for reads of the stack, initialised). `write`: the helper fills them. `reads`: the stack
 * slots count as read for liveness (all but a raw-mode, uninit, argument's: check_stack_range_initialized).
 */
export function checkHelperMem(w: Walker, regno: number, r: Reg, size: number, write: boolean, zeroOk: boolean, reads = !write, helper?: string): void {
  // A zero-sized access is still bounds-checked where it points (check_helper_mem_access).
  if (size === 0 && !zeroOk) w.reject(`R${regno} invalid zero-sized read`);
  const t = typeName(r);
  switch (r.type) {
    case "fp": {
      const f = frameOf(w, r);
      const s = r.s;
      const lo = base0(r) + (isConst(s) ? Number(BigInt.asIntN(64, constValue(s)!)) : Number(s.smin));
      const hi = base0(r) + (isConst(s) ? Number(BigInt.asIntN(64, constValue(s)!)) : Number(s.smax));
      const access = write ? "write to" : "read from";
      // check_stack_access_within_bounds: a variable part is bounded, then the whole range
      // [fp+off+smin, fp+off+smax+size) must lie in the stack, wherever the variable part is.
      if (!isConst(s) && (s.smax >= BigInt(MAX_VAR_OFF) || s.smin <= -BigInt(MAX_VAR_OFF))) w.reject(`invalid unbounded variable-offset ${access} stack R${regno}`);
      if (lo < -MAX_STACK || lo > -1 || hi + size > 0 || unallocatedRead(w, f, lo, write)) {
        w.reject(isConst(s) ? `invalid ${access} stack R${regno} off=${lo} size=${size}` : `invalid variable-offset ${access} stack R${regno} var_off=${tnumStr(s.varOff)} off=${r.off} size=${size}`);
      }
      // check_stack_range_initialized: the Spectre v1 masking that a variable offset needs is root's only.
      if (!isConst(s) && !w.env.privileged) w.reject(`R${regno} variable offset stack access prohibited for !root, var_off=${tnumStr(s.varOff)}`);
      touch(w, f, lo);
      for (let b = lo; b < hi + size; b++) {
        const k = Math.floor((-b - 1) / 8);
        const slot = slotOf(f, k);
        const at = b + 8 * (k + 1);
        const c = slot.types[at]!;
        if (reads) w.stackLive.read(w.cur, f.frameno, w.insn, k);
        // check_stack_range_initialized: a helper may not write over a dynptr, nor read one's (or an iterator's) bytes.
        if (write && c === "d") w.reject(`potential write to dynptr at off=${b} disallowed`);
        if (!write && (c === "d" || c === "i")) w.reject(`invalid read from stack R${regno} off ${lo}+${b - lo} size ${size}`);
        if (write) {
          if (c === "r" && slot.spilled) { slot.types = slot.types.replace(/r/g, "m"); slot.spilled = undefined; }
          slot.types = slot.types.slice(0, at) + "m" + slot.types.slice(at + 1);
        } else if (c === "?") {
          if (!w.env.privileged) w.reject(`invalid read from stack R${regno} off ${lo}+${b - lo} size ${size}`);
          slot.types = slot.types.slice(0, at) + "m" + slot.types.slice(at + 1);
        } else if (c === "r" && slot.spilled && slot.spilled.type !== "scalar" && !w.env.privileged) {
          // check_stack_range_initialized: a spilled pointer is not data to a helper without allow_ptr_leaks.
          w.reject(`invalid read from stack R${regno} off ${lo}+${b - lo} size ${size}`);
        }
      }
      return;
    }
    case "map_value":
      if (write && r.map!.flags & F_RDONLY_PROG) w.reject(`write into map forbidden, value_size=${r.map!.valueSize} off=${r.off} size=${size}`);
      if (!write && r.map!.flags & F_WRONLY_PROG) w.reject(`read from map forbidden, value_size=${r.map!.valueSize} off=${r.off} size=${size}`);
      boundsCheck(w, regno, r, 0, size, r.map!.valueSize, `invalid access to map value, value_size=${r.map!.valueSize}`);
      checkValueFields(w, regno, r, 0, size, "helper");
      return;
    case "map_key":
      boundsCheck(w, regno, r, 0, size, r.map!.keySize, `invalid access to map key, key_size=${r.map!.keySize}`);
      return;
    case "pkt":
    case "pkt_meta":
      if (write && !PKT_WRITE_TYPES.has(w.env.type)) w.reject(`cannot write into packet`);
      packetAccess(w, regno, r, 0, size);
      return;
    case "mem":
      // A local object (PTR_TO_BTF_ID | MEM_ALLOC) is not helper memory (mem_types).
      if (isLocalObj(r)) w.reject(`R${regno} type=ptr_${r.maybeNull ? "or_null_" : ""} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_`);
      if (write && r.rdonly) w.reject(`R${regno} cannot write into ${t}`);
      boundsCheck(w, regno, r, 0, size, r.memSize, `invalid access to memory, mem_size=${r.memSize}`);
      return;
    case "ptr_": {
      // check_helper_mem_access: a helper may not write kernel memory; what it reads is
      // checked as a load of that many bytes (check_ptr_to_btf_access).
      if (write && helper) w.reject(`${helper}() may write into memory pointed by R${regno} type=${t}`);
      if (r.off < 0) w.reject(`R${regno} is ptr_${r.btfType} invalid negative access: off=${r.off}`);
      if (!isConst(r.s)) w.reject(`R${regno} is ptr_${r.btfType} invalid variable offset: off=${r.off}, var_off=${tnumStr(r.s.varOff)}`);
      if (w.env.kernelBtf && r.btfType && size > 0) {
        const l = structLoad(w.env.kernelBtf, r.btfType, r.off + Number(BigInt.asIntN(64, constValue(r.s)!)), size);
        if (l.kind === "bad") w.reject(l.message);
      }
      return;
    }
    default:
      w.reject(`R${regno} type=${t} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_`);
  }
}

const base0 = (r: Reg): number => r.off;

/** BPF_ATOMIC: read-modify-write on stack, map values or memory; load-acquire and store-release. */
export function checkAtomic(w: Walker, i: Instruction): void {
  const size = sizeBytes(opSize(i.opcode));
  if (i.imm === AtomicOp.LoadAcquire) {
    const base = w.readReg(i.src);
    const r = access(w, i.src, base, i.off, size, false, undefined, undefined, false, 0, true);
    const dst = w.reg(i.dst);
    if (r) assignReg(dst, r);
    else setScalar(dst, scalarLoad(size, false));
    return;
  }
  if (i.imm === AtomicOp.StoreRelease) {
    const base = w.readReg(i.dst);
    access(w, i.dst, base, i.off, size, true, w.readReg(i.src), undefined, false, i.src, true);
    return;
  }
  if (size !== 4 && size !== 8) w.reject("invalid atomic operand size");
  const src = w.readReg(i.src);
  if (i.imm === AtomicOp.Cmpxchg) w.readReg(0);
  const base = w.readReg(i.dst);
  if (src.type !== "scalar" && !w.env.privileged) w.reject(`R${i.src} leaks addr into mem`);
  if (base.type === "ctx" || base.type === "pkt" || base.type === "pkt_meta" || base.type === "flow_keys" || base.type === "sock" || base.type === "ptr_") {
    w.reject(`BPF_ATOMIC stores into R${i.dst} ${typeName(base)} is not allowed`);
  }
  // An atomic reads the old value and writes the new one, aligned.
  checkAlignment(w, base, i.off, size);
  if (base.type === "fp" && !w.env.privileged && !(i.imm & AtomicOp.Fetch) && isConst(base.s)) {
    // check_stack_read_fixed_off with no register to fill: an unprivileged load may not read a spilled pointer.
    const o = base.off + i.off + Number(BigInt.asIntN(64, constValue(base.s)!));
    const slot = o < 0 && o >= -MAX_STACK ? frameOf(w, base).stack[Math.floor((-o - 1) / 8)] : undefined;
    if (slot?.spilled && slot.spilled.type !== "scalar" && slot.types.includes("r")) w.reject(`leaking pointer from stack off ${o}`);
  }
  access(w, i.dst, base, i.off, size, false, undefined, undefined, false, 0, true);
  const unknown = copyReg(src);
  unknown.type = "scalar";
  unknown.s = SCALAR_UNKNOWN;
  access(w, i.dst, base, i.off, size, true, unknown, undefined, false);
  const fetched = i.imm === AtomicOp.Cmpxchg ? 0 : i.imm & AtomicOp.Fetch ? i.src : -1;
  if (fetched >= 0) setScalar(w.reg(fetched), size === 8 ? scalarUnknown() : scalarLoad(4, false));
}

export { setNotInit };
export type { VerifierEnv };

/** The kernel struct each map type's ops name as its map_btf_id (struct bpf_array for an array...). */
const MAP_STRUCTS: Record<string, string> = {
  array: "bpf_array", percpu_array: "bpf_array", prog_array: "bpf_array", perf_event_array: "bpf_array", cgroup_array: "bpf_array", array_of_maps: "bpf_array",
  hash: "bpf_htab", percpu_hash: "bpf_htab", lru_hash: "bpf_htab", lru_percpu_hash: "bpf_htab", hash_of_maps: "bpf_htab",
  stack_trace: "bpf_stack_map", lpm_trie: "lpm_trie", devmap: "bpf_dtab", devmap_hash: "bpf_dtab", sockmap: "bpf_stab", sockhash: "bpf_shtab",
  cpumap: "bpf_cpu_map", xskmap: "xsk_map", cgroup_storage: "bpf_cgroup_storage_map", percpu_cgroup_storage: "bpf_cgroup_storage_map",
  reuseport_sockarray: "reuseport_array", queue: "bpf_queue_stack", stack: "bpf_queue_stack", sk_storage: "bpf_local_storage_map",
  inode_storage: "bpf_local_storage_map", task_storage: "bpf_local_storage_map", cgrp_storage: "bpf_local_storage_map",
  struct_ops: "bpf_struct_ops_map", ringbuf: "bpf_ringbuf_map", user_ringbuf: "bpf_ringbuf_map", bloom_filter: "bpf_bloom_filter", arena: "bpf_arena",
};
const mapStructName = (type: string | undefined): string => MAP_STRUCTS[type ?? ""] ?? "bpf_map";
