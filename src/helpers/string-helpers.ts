/**
 * @fileoverview The text helpers: bpf_trace_printk and bpf_trace_vprintk (to the runtime's
 * trace sink), bpf_snprintf, bpf_seq_write and bpf_seq_printf (to the runtime's seq
 * output, as an iterator's seq_file), bpf_strncmp, bpf_strtol and bpf_strtoul.
 */

import type { AddressSpace } from "../runtime/address-space.js";
import type { HelperArgs, HelperDef, HelperEnv, HelperFn } from "../runtime/helpers.js";
import { formatPrintk, MAX_BPRINTF_ARGS, type PrintkSource } from "./printk.js";
import { E, mem } from "./util.js";

/** What bpf_trace_printk printed in one address space, and who is told. */
interface TraceSink { readonly lines: string[]; listener: ((line: string) => void) | undefined; seq: string }
const SINKS = new WeakMap<AddressSpace, TraceSink>();
function sink(space: AddressSpace): TraceSink {
  let s = SINKS.get(space);
  if (!s) SINKS.set(space, (s = { lines: [], listener: undefined, seq: "" }));
  return s;
}

/** The lines bpf_trace_printk printed in this space (a runtime's `space`), oldest first; clear it freely. */
export function traceOf(space: AddressSpace): string[] {
  return sink(space).lines;
}

/** Calls `fn` with each line printed from now on (undefined stops). */
export function onTrace(space: AddressSpace, fn: ((line: string) => void) | undefined): void {
  sink(space).listener = fn;
}

/** What bpf_seq_write and bpf_seq_printf wrote in this space; `clear` empties it. */
export function seqOutput(space: AddressSpace, clear = false): string {
  const s = sink(space);
  const out = s.seq;
  if (clear) s.seq = "";
  return out;
}

function emit(space: AddressSpace, text: string): void {
  const s = sink(space);
  // trace_pipe shows one line per call: a trailing newline of the format ends it.
  const line = text.endsWith("\n") ? text.slice(0, -1) : text;
  s.lines.push(line);
  s.listener?.(line);
}

/** Strings for %s: read from program memory, up to a NUL. */
function stringReader(env: HelperEnv): PrintkSource["string"] {
  return (addr, max) => {
    const at = Number(addr);
    if (addr > 0x7fffffffn) return undefined;
    let s = "";
    for (let k = 0; k < max; k++) {
      if (env.space.check(at + k, 1, false) === 0) return k === 0 ? undefined : s;
      const c = env.space.u8[at + k]!;
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  };
}

/** Bytes for %pI4 and %pI6: from program memory. */
function bytesReader(env: HelperEnv): NonNullable<PrintkSource["bytes"]> {
  return (addr, n) => (addr < 0x80000000n && env.space.check(Number(addr), n, false) !== 0 ? env.space.u8.slice(Number(addr), Number(addr) + n) : undefined);
}

/** The format at r`n` of `size` bytes, which must hold its NUL; undefined otherwise. */
function format(env: HelperEnv, a: HelperArgs, n: number, size: number): string | undefined {
  if (size === 0) return undefined;
  const bytes = mem(env, a, n, size, "read");
  const nul = bytes.indexOf(0);
  return nul < 0 ? undefined : String.fromCharCode(...bytes.subarray(0, nul));
}

/** The u64 array of `len` bytes at r`n` (bpf_trace_vprintk, bpf_snprintf), or undefined when len is bad. */
function u64Array(env: HelperEnv, a: HelperArgs, n: number, len: number): bigint[] | undefined {
  if (len % 8 !== 0 || len / 8 > MAX_BPRINTF_ARGS) return undefined;
  const bytes = mem(env, a, n, len, "read");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: len / 8 }, (_, k) => v.getBigUint64(k * 8, true));
}

/** bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3): the text's length, or -EINVAL. */
const tracePrintk: HelperFn = (a, env) => {
  const fmt = format(env, a, 1, a.u32(2));
  if (fmt === undefined) return -E.EINVAL;
  const text = formatPrintk(fmt, { arg: (i) => a.u64(3 + i), string: stringReader(env), bytes: bytesReader(env) });
  if (text === undefined) return -E.EINVAL;
  emit(env.space, text);
  return text.length;
};

/** bpf_trace_vprintk(fmt, fmt_size, data, data_len): as trace_printk, with up to 12 u64 arguments. */
const traceVprintk: HelperFn = (a, env) => {
  const fmt = format(env, a, 1, a.u32(2));
  const data = u64Array(env, a, 3, a.u32(4));
  if (fmt === undefined || data === undefined) return -E.EINVAL;
  const text = formatPrintk(fmt, { arg: (i) => data[i] ?? 0n, string: stringReader(env), bytes: bytesReader(env) }, data.length);
  if (text === undefined) return -E.EINVAL;
  emit(env.space, text);
  return text.length;
};

/** The NUL-terminated format at r`n` (a read-only map value: the verifier checked it ends). */
function constString(env: HelperEnv, a: HelperArgs, n: number): string | undefined {
  const addr = a.addr(n);
  let s = "";
  for (let k = 0; ; k++) {
    if (env.space.check(addr + k, 1, false) === 0) return undefined;
    const c = env.space.u8[addr + k]!;
    if (c === 0) return s;
    s += String.fromCharCode(c);
  }
}

/**
 * bpf_snprintf(str, str_size, fmt, data, data_len): writes the text, truncated to fit
 * with its NUL, and returns the length the whole text needs including the NUL.
 */
const snprintf: HelperFn = (a, env) => {
  const size = a.u32(2);
  const fmt = constString(env, a, 3);
  const data = u64Array(env, a, 4, a.u32(5));
  if (fmt === undefined || data === undefined) return -E.EINVAL;
  const text = formatPrintk(fmt, { arg: (i) => data[i] ?? 0n, string: stringReader(env), bytes: bytesReader(env) }, data.length);
  if (text === undefined) return -E.EINVAL;
  if (size > 0) {
    const out = mem(env, a, 1, size, "write");
    const n = Math.min(text.length, size - 1);
    for (let k = 0; k < n; k++) out[k] = text.charCodeAt(k) & 0xff;
    out[n] = 0;
  }
  return text.length + 1;
};

/** bpf_seq_write(seq, data, len): appends the bytes to the runtime's seq output. */
const seqWrite: HelperFn = (a, env) => {
  const bytes = mem(env, a, 2, a.u32(3), "read");
  sink(env.space).seq += String.fromCharCode(...bytes);
  return 0;
};

/** bpf_seq_printf(seq, fmt, fmt_size, data, data_len) */
const seqPrintf: HelperFn = (a, env) => {
  const fmt = format(env, a, 2, a.u32(3));
  const data = u64Array(env, a, 4, a.u32(5));
  if (fmt === undefined || data === undefined) return -E.EINVAL;
  const text = formatPrintk(fmt, { arg: (i) => data[i] ?? 0n, string: stringReader(env), bytes: bytesReader(env) }, data.length);
  if (text === undefined) return -E.EINVAL;
  sink(env.space).seq += text;
  return 0;
};

/** bpf_strncmp(s1, s1_sz, s2): the kernel's strncmp of at most s1_sz bytes: -1, 0 or 1. */
const strncmp: HelperFn = (a, env) => {
  const n = a.u32(2);
  const s1 = mem(env, a, 1, n, "read");
  const addr2 = a.addr(3);
  for (let k = 0; k < n; k++) {
    const c1 = s1[k]!;
    const c2 = env.bytes(addr2 + k, 1, "read")[0]!;
    if (c1 !== c2) return c1 < c2 ? -1 : 1;
    if (c1 === 0) break;
  }
  return 0;
};

/** BPF_STRTOX_BASE_MASK */
const BASE_MASK = 0x1f;
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const digit = (c: number) => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x7a ? c - 0x61 + 10 : c >= 0x41 && c <= 0x5a ? c - 0x41 + 10 : 99);

/** __bpf_strtoull: { consumed, value, negative } or -errno. */
function strtoull(buf: Uint8Array, flags: bigint): { consumed: number; value: bigint; negative: boolean } | number {
  let base = Number(flags & BigInt(BASE_MASK));
  if (buf.length === 0 || (base !== 0 && base !== 8 && base !== 10 && base !== 16) || flags & ~BigInt(BASE_MASK)) return -E.EINVAL;
  let i = 0;
  while (i < buf.length && isSpace(buf[i]!)) i++;
  const negative = i < buf.length && buf[i] === 0x2d;
  if (negative) i++;
  if (i === buf.length) return -E.EINVAL;
  // At most 63 characters are parsed, as the kernel copies them to a NUL-terminated buffer.
  const s = Array.from(buf.subarray(i, i + 63));
  const end = s.indexOf(0);
  if (end >= 0) s.length = end;
  let k = 0;
  const lower = (c: number | undefined) => (c === undefined ? 0 : c | 0x20);
  if (base === 0) base = s[0] === 0x30 ? (lower(s[1]) === 0x78 && digit(s[2] ?? 0) < 16 ? 16 : 8) : 10;
  if (base === 16 && s[0] === 0x30 && lower(s[1]) === 0x78) k = 2;
  let value = 0n, digits = 0, overflow = false;
  for (; k < s.length; k++, digits++) {
    const d = digit(s[k]!);
    if (d >= base) break;
    value = value * BigInt(base) + BigInt(d);
    if (value > 0xffffffffffffffffn) overflow = true;
  }
  if (overflow) return -E.ERANGE;
  if (digits === 0) return -E.EINVAL;
  return { consumed: i + k, value: BigInt.asUintN(64, value), negative };
}

/** bpf_strtol / bpf_strtoul(buf, buf_len, flags, res): characters consumed, or -EINVAL / -ERANGE. */
const strto = (signed: boolean): HelperFn => (a, env) => {
  // The result is zeroed first, so a failed parse leaves 0 there.
  const out = mem(env, a, 4, 8, "write");
  out.fill(0);
  const r = strtoull(mem(env, a, 1, a.u32(2), "read"), a.u64(3));
  if (typeof r === "number") return r;
  let v: bigint;
  if (!signed) {
    if (r.negative) return -E.EINVAL;
    v = r.value;
  } else if (r.negative) {
    if (r.value > 1n << 63n) return -E.ERANGE;
    v = BigInt.asUintN(64, -r.value);
  } else {
    if (r.value >= 1n << 63n) return -E.ERANGE;
    v = r.value;
  }
  new DataView(out.buffer, out.byteOffset, 8).setBigUint64(0, v, true);
  return r.consumed;
};

/** The text helpers, by id (enum bpf_func_id). */
export const STRING_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_trace_printk */
  { id: 6, name: "trace_printk", fn: tracePrintk },
  /** BPF_FUNC_strtol */
  { id: 105, name: "strtol", fn: strto(true) },
  /** BPF_FUNC_strtoul */
  { id: 106, name: "strtoul", fn: strto(false) },
  /** BPF_FUNC_seq_printf */
  { id: 126, name: "seq_printf", fn: seqPrintf },
  /** BPF_FUNC_seq_write */
  { id: 127, name: "seq_write", fn: seqWrite },
  /** BPF_FUNC_snprintf */
  { id: 165, name: "snprintf", fn: snprintf },
  /** BPF_FUNC_trace_vprintk */
  { id: 177, name: "trace_vprintk", fn: traceVprintk },
  /** BPF_FUNC_strncmp */
  { id: 182, name: "strncmp", fn: strncmp },
];
