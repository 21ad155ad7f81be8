/**
 * @fileoverview Map contents as `bpftool map dump` prints them: through BTF when the map
 * has key and value types (`[{ "key": ..., "value": ... }]`), else as hex bytes. Small on
 * purpose: it gives way to the maps module's dump API once that exists.
 */

import type { Btf } from "../btf/index.js";
import { formatValue } from "../btf/format.js";
import type { MapSpec } from "../object/index.js";

/** The part of a live map (either engine's) a dump reads. */
export interface DumpableMap {
  entries(): Iterable<[Uint8Array, Uint8Array]>;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

/** One entry as plain data: BTF-decoded values, or hex strings where there are no types. */
export function decodeEntry(spec: MapSpec | undefined, btf: Btf | undefined, key: Uint8Array, value: Uint8Array): { key: unknown; value: unknown } {
  const decode = (type: number | undefined, bytes: Uint8Array) => {
    if (!btf || !type) return hex(bytes);
    try { return formatValue(btf, type, bytes); } catch { return hex(bytes); }
  };
  return { key: decode(spec?.keyType, key), value: decode(spec?.valueType, value) };
}

/** JSON text, with bigints as numbers, indented as bpftool's json_writer indents. */
export function toJson(v: unknown, indent = ""): string {
  const inner = `${indent}    `;
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return v.length === 0 ? "[]" : `[${v.map((x) => toJson(x, inner)).join(",")}]`;
  if (v && typeof v === "object") {
    const fields = Object.entries(v as Record<string, unknown>);
    if (fields.length === 0) return "{}";
    return `{\n${fields.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${toJson(x, inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(v);
}

/** The dump of one map, as lines: bpftool's BTF form, or `key: .. value: ..` lines without BTF. */
export function dumpMap(map: DumpableMap, spec: MapSpec | undefined, btf: Btf | undefined, limit = 64): string[] {
  const entries = [...take(map.entries(), limit + 1)];
  const more = entries.length > limit ? entries.splice(limit) : [];
  const lines: string[] = [];
  if (btf && spec?.keyType && spec.valueType) {
    const items = entries.map(([k, v]) => toJson(decodeEntry(spec, btf, k, v), "    ").replace(/^\{/, "{"));
    lines.push(...(items.length ? `[${items.join(",")}\n]` : "[]").split("\n"));
  } else {
    for (const [k, v] of entries) lines.push(`key: ${hex(k)}  value: ${hex(v)}`);
    lines.push(`Found ${entries.length} element${entries.length === 1 ? "" : "s"}`);
  }
  if (more.length) lines.push(`... and more (showing the first ${limit})`);
  return lines;
}

/** Every entry decoded, for --json output. */
export function mapToJson(map: DumpableMap, spec: MapSpec | undefined, btf: Btf | undefined): unknown[] {
  return [...map.entries()].map(([k, v]) => decodeEntry(spec, btf, k, v));
}

function* take<T>(it: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  for (const x of it) {
    yield x;
    if (--n <= 0) return;
  }
}
