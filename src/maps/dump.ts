/**
 * @fileoverview A map's contents for people and for JSON: `dumpMap` gives `{ key, value }`
 * entries (per-CPU maps: `values`, one per CPU) decoded through BTF into plain JSON data
 * (integers beyond 2^53 as decimal strings, structs as objects), or hex strings without
 * BTF; `formatMapDump` prints them as `bpftool map dump` does. Also `valueFields`, which
 * finds a value's bpf_spin_lock and bpf_timer in BTF, as the kernel's btf_record does.
 * Works on runtime maps and kernel maps alike.
 */

import { formatValue } from "../btf/format.js";
import type { Btf } from "../btf/types.js";
import { mapTypeInfo } from "./types.js";

/** What dumpMap reads: the userspace API both BpfMap and KernelMap have. */
export interface DumpableMap {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  entries(): IterableIterator<[Uint8Array, Uint8Array]>;
  getPerCpu(key: Uint8Array): Uint8Array[] | undefined;
  /** Queue and stack maps have no keys: their values are read by peeking a copy. */
  peek?(): Uint8Array | undefined;
}

/** The BTF of a map's key and value, when the object has it. */
export interface MapBtf {
  readonly btf: Btf;
  readonly keyType?: number;
  readonly valueType?: number;
}

/** JSON-ready data: numbers, decimal strings for integers beyond 2^53, strings, arrays, objects. */
export type JsonValue = number | string | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/** One element of a dump. */
export interface DumpEntry {
  readonly key: JsonValue;
  /** The value, for maps that are not per-CPU. */
  readonly value?: JsonValue;
  /** One value per CPU, for per-CPU maps. */
  readonly values?: JsonValue[];
}

const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Converts formatValue's output for JSON: bigints as numbers when exact, else decimal strings. */
export function toJson(v: unknown): JsonValue {
  if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return hexOf(v);
  if (Array.isArray(v)) return v.map(toJson);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  if (v === undefined) return null;
  return v as JsonValue;
}

function decode(bytes: Uint8Array, btf: Btf | undefined, type: number | undefined): JsonValue {
  if (btf && type) {
    try {
      return toJson(formatValue(btf, type, bytes));
    } catch {
      // A type the formatter cannot lay over these bytes: show them raw.
    }
  }
  return hexOf(bytes);
}

/** Every element of a map, decoded through its BTF where given. */
export function dumpMap(map: DumpableMap, btf?: MapBtf): DumpEntry[] {
  const perCpu = mapTypeInfo(map.type)?.perCpu ?? false;
  const out: DumpEntry[] = [];
  if (map.keySize === 0) {
    const v = map.peek?.();
    // A queue or stack shows its next value only: reading more would consume it.
    if (v) out.push({ key: null, value: decode(v, btf?.btf, btf?.valueType) });
    return out;
  }
  for (const [k, v] of map.entries()) {
    const key = decode(k, btf?.btf, btf?.keyType);
    if (perCpu) {
      const all = map.getPerCpu(k) ?? [v];
      out.push({ key, values: all.map((x) => decode(x, btf?.btf, btf?.valueType)) });
    } else {
      out.push({ key, value: decode(v.subarray(0, map.valueSize), btf?.btf, btf?.valueType) });
    }
  }
  return out;
}

/** bpftool's fprint_hex: bytes as `%02x` separated by spaces, two after each 8, a new line every 16. */
function hexLines(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) {
    if (i && i % 16 === 0) s += "\n";
    else if (i && i % 8 === 0) s += "  ";
    else if (i) s += " ";
    s += b[i]!.toString(16).padStart(2, "0");
  }
  return s;
}

/**
 * bpftool's json_writer in pretty mode: members on their own lines four spaces deeper,
 * array elements joined by commas on the same line, integers printed whole.
 */
function bpftoolJson(v: unknown, depth: number): string {
  const pad = (d: number) => "    ".repeat(d);
  if (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof Uint8Array) return bpftoolJson(Array.from(v, (b) => `0x${b.toString(16).padStart(2, "0")}`), depth);
  if (Array.isArray(v)) return `[${v.map((x) => bpftoolJson(x, depth + 1)).join(",")}${v.length ? `\n${pad(depth)}` : ""}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v);
    return `{${entries.map(([k, x]) => `\n${pad(depth + 1)}${JSON.stringify(k)}: ${bpftoolJson(x, depth + 1)}`).join(",")}${entries.length ? `\n${pad(depth)}` : ""}}`;
  }
  return "null";
}

function raw(bytes: Uint8Array, btf: Btf, type: number | undefined): unknown {
  if (type) {
    try {
      return formatValue(btf, type, bytes);
    } catch {
      // Shown as bytes below.
    }
  }
  return bytes;
}

/** One map's dump as `bpftool map dump` prints it: hex without BTF, its JSON-like listing with BTF. */
export function formatMapDump(map: DumpableMap, btf?: MapBtf): string {
  const perCpu = mapTypeInfo(map.type)?.perCpu ?? false;
  if (btf && (btf.keyType || btf.valueType)) {
    const items: unknown[] = [];
    for (const [k, v] of map.entries()) {
      const key = raw(k, btf.btf, btf.keyType);
      if (perCpu) items.push({ key, values: (map.getPerCpu(k) ?? [v]).map((x, cpu) => ({ cpu, value: raw(x, btf.btf, btf.valueType) })) });
      else items.push({ key, value: raw(v.subarray(0, map.valueSize), btf.btf, btf.valueType) });
    }
    return `${bpftoolJson(items, 0)}\n`;
  }
  const big = map.keySize > 16 || map.valueSize > 16;
  let text = "";
  let n = 0;
  for (const [k, v] of map.entries()) {
    n++;
    if (perCpu) {
      text += `key:\n${hexLines(k)}\n`;
      (map.getPerCpu(k) ?? [v]).forEach((x, cpu) => {
        text += `value (CPU ${String(cpu).padStart(2, "0")}):${map.valueSize > 16 ? "\n" : " "}${hexLines(x)}\n`;
      });
    } else {
      text += big ? `key:\n${hexLines(k)}\n` : `key: ${hexLines(k)}  `;
      text += `${big ? "value:\n" : "value: "}${hexLines(v.subarray(0, map.valueSize))}\n`;
    }
  }
  return `${text}Found ${n} element${n === 1 ? "" : "s"}\n`;
}

export { valueFields, type ValueFields, type KptrField, type SpecialField } from "./value-fields.js";
