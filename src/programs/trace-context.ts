/**
 * @fileoverview Tracing contexts built from names: a shape (fields with offsets and sizes)
 * from a uapi layout, from BTF (a program's own context struct, a `trace_event_raw_*`
 * struct, or a traced function's prototype as u64 argument slots), or from a tracepoint's
 * format file; and the bytes of a context from values given by field name, as
 * `--ctx-json` and `--arg 1=0x10` give them.
 */

import type { Btf, BtfType } from "../btf/index.js";
import { BpfError } from "../errors.js";
import type { AttachArg } from "./access.js";
import { type CtxLayout, MAX_BPF_FUNC_ARGS, PT_REGS, PT_REGS_ARGS } from "./layouts.js";

/** One field a value may be given for. */
export interface ShapeField {
  readonly name: string;
  readonly off: number;
  /** Bytes of one element. */
  readonly size: number;
  /** Elements: more than 1 for arrays. */
  readonly count: number;
  readonly signed: boolean;
  /** "chars" takes a string; "ptr" and "int" take numbers. */
  readonly kind: "int" | "ptr" | "chars";
}

/** A context's fields, by name. */
export interface ContextShape {
  readonly struct: string;
  readonly size: number;
  readonly fields: readonly ShapeField[];
}

/** The shape of a uapi context struct (pt_regs, bpf_perf_event_data...). */
export function shapeOfLayout(l: CtxLayout): ContextShape {
  return {
    struct: l.struct,
    size: l.size,
    fields: l.fields.filter((f) => f.kind !== "pad").map((f) => ({
      name: f.name, off: f.off, size: f.elemSize, count: f.count, signed: f.kind === "s32", kind: f.kind === "ptr" ? "ptr" : "int",
    })),
  };
}

/** The shape of struct `id` in `btf`, nested members flattened to dotted names (`regs.di`). */
export function shapeOfStruct(btf: Btf, id: number): ContextShape {
  const t = btf.resolve(id);
  if (t.kind !== "struct" && t.kind !== "union") throw new BpfError("EINVAL", `type ${id} is a ${t.kind}, not a struct`);
  const fields: ShapeField[] = [];
  const walk = (s: Extract<BtfType, { kind: "struct" | "union" }>, base: number, prefix: string, depth: number) => {
    for (const m of s.members) {
      if (m.bitSize) continue; // bitfields are not given by name
      const off = base + m.bitOffset / 8;
      const name = prefix + m.name;
      const mt = btf.resolve(m.type);
      if ((mt.kind === "struct" || mt.kind === "union") && depth < 8) walk(mt, off, m.name ? `${name}.` : prefix, depth + 1);
      else fields.push(fieldOf(btf, name, off, m.type));
    }
  };
  walk(t, 0, "", 0);
  return { struct: t.name, size: t.size, fields };
}

function fieldOf(btf: Btf, name: string, off: number, type: number): ShapeField {
  const t = btf.resolve(type);
  if (t.kind === "array") {
    const elem = btf.resolve(t.type);
    const size = btf.sizeof(t.type);
    const chars = elem.kind === "int" && size === 1;
    return { name, off, size, count: t.nelems, signed: elem.kind === "int" && elem.signed, kind: chars ? "chars" : elem.kind === "ptr" ? "ptr" : "int" };
  }
  return { name, off, size: btf.sizeof(type), count: 1, signed: t.kind === "int" && t.signed, kind: t.kind === "ptr" ? "ptr" : "int" };
}

/**
 * A tracepoint's record from its format file (`events/CAT/NAME/format` in tracefs):
 * `field:const char * filename;	offset:16;	size:8;	signed:0;` lines.
 */
export function parseTracepointFormat(text: string, name = "tracepoint"): ContextShape {
  const fields: ShapeField[] = [];
  let size = 0;
  for (const line of text.split("\n")) {
    const m = /^\s*field:(.+?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/.exec(line);
    if (!m) continue;
    const decl = m[1]!.trim();
    const arr = /(\w+)\s*\[(\d*)\]$/.exec(decl);
    const id = arr ? arr[1]! : /(\w+)$/.exec(decl)?.[1];
    if (!id) continue;
    const off = Number(m[2]);
    const total = Number(m[3]);
    const count = arr ? Math.max(1, Number(arr[2] || 1)) : 1;
    const elem = arr ? total / count : total;
    const chars = arr !== null && elem === 1 && /\bchar\b/.test(decl);
    fields.push({ name: id, off, size: elem, count, signed: m[4] === "1", kind: chars ? "chars" : /\*/.test(decl) ? "ptr" : "int" });
    size = Math.max(size, off + total);
  }
  if (fields.length === 0) throw new BpfError("EINVAL", `${name}: the format has no fields`);
  return { struct: name, size: Math.ceil(size / 8) * 8, fields };
}

/**
 * Raw tracepoints whose pointer arguments may be NULL, as the kernel's raw_tp_null_args
 * (kernel/bpf/btf.c) lists them: a nibble per argument, 0x1 the first. The common ones;
 * the kernel's list is longer (filesystems, rxrpc, drivers).
 */
export const RAW_TP_NULL_ARGS: Readonly<Record<string, number>> = {
  sched_pi_setprio: 0x10, sched_stick_numa: 0x100, sched_swap_numa: 0x100, kfree_skb: 0x1000,
  tcp_send_reset: 0x11, tcp_sendmsg_locked: 0x100, mm_khugepaged_scan_pmd: 0x10, mm_khugepaged_collapse_file: 0x10,
};

/** A traced function's parameters, from its BTF prototype. */
export interface TracedArg {
  readonly name: string;
  /** The kernel struct a pointer parameter points to, if it is one. */
  readonly struct?: string;
  readonly pointer: boolean;
  readonly size: number;
  readonly signed: boolean;
  /** A pointer that may be NULL (a `__nullable` name, or the kernel's list for raw tracepoints). */
  readonly nullable?: boolean;
}

/**
 * The arguments of what a BTF-typed tracing program attaches to: a function (`fentry/NAME`,
 * `lsm/NAME`...) or, for `tp_btf/NAME` and raw tracepoints, `btf_trace_NAME`'s prototype
 * without its first (`void *__data`) parameter.
 */
export function tracedArgs(btf: Btf, target: string, kind: "function" | "tracepoint"): TracedArg[] {
  let proto: BtfType | undefined;
  if (kind === "tracepoint") {
    // __bpf_trace_NAME has the parameters' names; btf_trace_NAME, the typedef, only their types.
    const fn = btf.byName(`__bpf_trace_${target}`, "func")[0];
    const td = btf.byName(`btf_trace_${target}`, "typedef")[0];
    const ptr = td ? btf.resolve(td.id) : undefined;
    proto = fn && fn.kind === "func" ? btf.type(fn.type) : ptr?.kind === "ptr" ? btf.resolve(ptr.type) : undefined;
  } else {
    const fn = btf.byName(target, "func")[0];
    proto = fn && fn.kind === "func" ? btf.type(fn.type) : undefined;
  }
  if (!proto || proto.kind !== "func_proto") throw new BpfError("EINVAL", `no BTF prototype for ${kind} ${target}`);
  const params = kind === "tracepoint" ? proto.params.slice(1) : proto.params;
  const nullMask = kind === "tracepoint" ? RAW_TP_NULL_ARGS[target] ?? 0 : 0;
  return params.filter((p) => p.type !== 0).map((p, i) => {
    const t = btf.resolve(p.type);
    const to = t.kind === "ptr" ? btf.resolve(t.type) : undefined;
    const nullable = t.kind === "ptr" && ((nullMask >> (4 * i)) & 0xf) !== 0 || p.name.endsWith("__nullable");
    return {
      ...(nullable ? { nullable: true } : {}),
      name: p.name || `arg${i}`,
      pointer: t.kind === "ptr",
      ...(to && (to.kind === "struct" || to.kind === "union") && to.name ? { struct: to.name } : {}),
      size: t.kind === "ptr" ? 8 : Math.min(8, btf.sizeof(p.type)),
      signed: t.kind === "int" && t.signed,
    };
  });
}

/** The verifier's view of those arguments (CtxAccess.attachArgs). */
export const attachArgsOf = (args: readonly TracedArg[]): AttachArg[] =>
  args.map((a) => (a.pointer && a.struct ? { type: a.nullable ? "btf_id_or_null" : "btf_id", btfType: a.struct } : a.pointer ? { type: "scalar", pointer: true } : { type: "scalar" }));

/** The u64 argument slots of a raw tracepoint or BTF-typed program, named by parameter (and arg0, arg1...). */
export function argsShape(args: readonly TracedArg[], struct = "args"): ContextShape {
  const fields: ShapeField[] = [];
  args.slice(0, MAX_BPF_FUNC_ARGS).forEach((a, i) => {
    fields.push({ name: a.name, off: i * 8, size: 8, count: 1, signed: a.signed, kind: a.pointer ? "ptr" : "int" });
    if (a.name !== `arg${i}`) fields.push({ name: `arg${i}`, off: i * 8, size: 8, count: 1, signed: a.signed, kind: a.pointer ? "ptr" : "int" });
  });
  return { struct, size: Math.max(1, args.length) * 8, fields };
}

/** Raw tracepoint slots when nothing types them: arg0 ... arg11. */
export const RAW_ARGS_SHAPE: ContextShape = argsShape(Array.from({ length: MAX_BPF_FUNC_ARGS }, (_, i) => ({ name: `arg${i}`, pointer: false, size: 8, signed: false })), "bpf_raw_tracepoint_args");

/** The kprobe shape: pt_regs, with the function's arguments also named 1..6 (and `ret` for ax). */
export const KPROBE_SHAPE: ContextShape = (() => {
  const base = shapeOfLayout(PT_REGS);
  const at = (reg: string) => base.fields.find((f) => f.name === reg)!;
  const aliases = PT_REGS_ARGS.map((reg, i) => ({ ...at(reg), name: String(i + 1) }));
  return { ...base, fields: [...base.fields, ...aliases, { ...at("ax"), name: "ret" }] };
})();

/** A number given as a JS number, a bigint, or a string ("0x10", "-3", "16"). */
function toBigInt(v: unknown, what: string): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (typeof v === "string" && /^-?(0x[0-9a-f]+|0o[0-7]+|0b[01]+|\d+)$/i.test(v.trim())) {
    const s = v.trim();
    return s.startsWith("-") ? -BigInt(s.slice(1)) : BigInt(s);
  }
  throw new BpfError("EINVAL", `${what}: ${JSON.stringify(v)} is not an integer`);
}

function writeInt(view: DataView, off: number, size: number, v: bigint, what: string) {
  const bits = BigInt(size * 8);
  if (v >= 1n << bits || v < -(1n << (bits - 1n))) throw new BpfError("EINVAL", `${what}: ${v} does not fit in ${size} bytes`);
  const u = BigInt.asUintN(size * 8, v);
  if (size === 8) view.setBigUint64(off, u, true);
  else if (size === 4) view.setUint32(off, Number(u), true);
  else if (size === 2) view.setUint16(off, Number(u), true);
  else if (size === 1) view.setUint8(off, Number(u));
  else throw new BpfError("EINVAL", `${what}: a ${size}-byte integer cannot be given`);
}

/**
 * The bytes of a context of `shape` with `values` by field name (the rest zero). A name
 * the shape lacks is an error that lists the names it has.
 */
/** A number as `--ctx-json` and `--arg` take it (decimal, 0x, 0o, 0b, negative). */
const NUMBER = /^-?(0x[0-9a-f]+|0o[0-7]+|0b[01]+|\d+)$/i;

/**
 * Where a string given for a pointer field goes: `place(bytes, what)` puts the bytes (the
 * string and its NUL) in memory the program can read through the pointer and returns their
 * address, which the field then holds. Without it such a string is an error.
 */
export type PlaceString = (bytes: Uint8Array, what: string) => bigint;

export function encodeContext(shape: ContextShape, values: Readonly<Record<string, unknown>>, size = shape.size, place?: PlaceString): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  const byName = new Map(shape.fields.map((f) => [f.name, f]));
  for (const [name, v] of Object.entries(values)) {
    const f = byName.get(name);
    const what = `${shape.struct}.${name}`;
    if (!f) throw new BpfError("EINVAL", `${shape.struct} has no field ${name} (fields: ${shape.fields.map((x) => x.name).join(", ")})`);
    if (f.kind === "chars" && typeof v === "string") {
      const s = new TextEncoder().encode(v);
      if (s.length > f.count) throw new BpfError("EINVAL", `${what}: "${v}" is longer than ${f.count} bytes`);
      bytes.set(s, f.off);
      continue;
    }
    // A string that is no number, for a pointer (or a 64-bit register or argument slot): a char * to it.
    if (typeof v === "string" && !NUMBER.test(v.trim()) && f.count === 1 && (f.kind === "ptr" || f.size === 8)) {
      if (!place) throw new BpfError("EINVAL", `${what}: a string for a pointer needs a userspace engine, which puts it in the task's memory`);
      const s = new TextEncoder().encode(v);
      const z = new Uint8Array(s.length + 1);
      z.set(s);
      writeInt(view, f.off, f.size, place(z, what), what);
      continue;
    }
    if (f.count > 1) {
      if (!Array.isArray(v) || v.length > f.count) throw new BpfError("EINVAL", `${what}: give an array of at most ${f.count} values`);
      v.forEach((x, i) => writeInt(view, f.off + i * f.size, f.size, toBigInt(x, `${what}[${i}]`), what));
      continue;
    }
    writeInt(view, f.off, f.size, toBigInt(v, what), what);
  }
  return bytes;
}

/** `--arg 1=0x10` and `--arg di=3` pairs as values for a shape. */
export function parseArgPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new BpfError("EINVAL", `--arg ${p}: expected NAME=VALUE (1=0x10, di=3, ret=-1)`);
    out[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  return out;
}

/** The 8 bytes every tracepoint record starts with (struct trace_entry). */
const COMMON_FIELDS: readonly ShapeField[] = [
  { name: "common_type", off: 0, size: 2, count: 1, signed: false, kind: "int" },
  { name: "common_flags", off: 2, size: 1, count: 1, signed: false, kind: "int" },
  { name: "common_preempt_count", off: 3, size: 1, count: 1, signed: false, kind: "int" },
  { name: "common_pid", off: 4, size: 4, count: 1, signed: true, kind: "int" },
];

/**
 * The record of a syscalls/sys_enter_NAME or sys_exit_NAME tracepoint when its format file
 * cannot be read: struct syscall_trace_enter/exit, `__syscall_nr` then the six arguments
 * (`args`, also `arg0`...`arg5`) or `ret`. The format file names the arguments.
 */
export function syscallTracepointShape(name: string): ContextShape | undefined {
  const nr: ShapeField = { name: "__syscall_nr", off: 8, size: 4, count: 1, signed: true, kind: "int" };
  if (name.startsWith("sys_enter_")) {
    const args = Array.from({ length: 6 }, (_, i): ShapeField => ({ name: `arg${i}`, off: 16 + 8 * i, size: 8, count: 1, signed: false, kind: "int" }));
    return { struct: `syscalls/${name}`, size: 64, fields: [...COMMON_FIELDS, nr, { name: "args", off: 16, size: 8, count: 6, signed: false, kind: "int" }, ...args] };
  }
  if (name.startsWith("sys_exit_")) return { struct: `syscalls/${name}`, size: 24, fields: [...COMMON_FIELDS, nr, { name: "ret", off: 16, size: 8, count: 1, signed: true, kind: "int" }] };
  return undefined;
}
