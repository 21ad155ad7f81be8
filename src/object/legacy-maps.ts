/**
 * @fileoverview Map definitions in the legacy `maps` section: libbpf's `struct
 * bpf_map_def` (five u32s) or iproute2's `struct bpf_elf_map` (nine: the same five, then
 * id, pinning, inner_id, inner_idx), told apart by the definition's BTF or its size as
 * cilium/ebpf and iproute2 do, and iproute2's id/inner_id map-in-map pairs linked up.
 */

import type { Btf, BtfType } from "../btf/index.js";
import { SHT_NOBITS, type ElfFile, type ElfSection, type ElfSymbol } from "../elf/index.js";
import { mapTypeName } from "../maps/types.js";
import { ObjectError } from "./errors.js";
import type { LocatedMap } from "./maps.js";
import type { MapSpec } from "./types.js";

/** A layout: its C name and field names in order, each a u32. */
interface Layout {
  readonly name: "bpf_map_def" | "bpf_elf_map";
  readonly fields: readonly string[];
}

/**
 * libbpf's (before 1.0) `struct bpf_map_def`; the kernel's old samples/bpf loader (and
 * objects that copied it) added inner_map_idx and numa_node, read here when BTF names them.
 */
const BPF_MAP_DEF: Layout = { name: "bpf_map_def", fields: ["type", "key_size", "value_size", "max_entries", "map_flags", "inner_map_idx", "numa_node"] };
/** iproute2's `struct bpf_elf_map` (include/bpf_elf.h). */
const BPF_ELF_MAP: Layout = { name: "bpf_elf_map", fields: ["type", "size_key", "size_value", "max_elem", "flags", "id", "pinning", "inner_id", "inner_idx"] };

/** Field names only iproute2's layout has: a definition whose BTF names one is a bpf_elf_map. */
const ELF_MAP_ONLY = new Set(["size_key", "size_value", "max_elem", "id", "pinning", "inner_id", "inner_idx"]);

/** iproute2's "not in any outer map" inner_idx ((__u32)-1). */
const NO_INNER_IDX = 0xffffffff;

const MAP_IN_MAP = new Set(["array_of_maps", "hash_of_maps"]);

/** The definitions of the `maps` section, in symbol order; map-in-map pairs linked. */
export function legacyMaps(elf: ElfFile, s: ElfSection, syms: ElfSymbol[], btf: Btf | undefined): LocatedMap[] {
  if (syms.length === 0) return [];
  if (s.type === SHT_NOBITS) throw new ObjectError("legacy map definitions have no bytes (SHT_NOBITS)", { section: s.name, offset: s.offset });
  // As libbpf, cilium/ebpf and iproute2: every definition has the same size, the section's over the map count.
  const defSize = Math.floor(s.size / syms.length);
  const view = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
  const types = btf ? varTypes(btf, s.name) : new Map<string, BtfType>();
  const innerMapIdx: (number | undefined)[] = [];
  const maps = syms.map((sym): LocatedMap => {
    const where = { section: s.name, offset: s.offset + Math.min(sym.value, s.size) };
    if (defSize < 20 || sym.value + defSize > s.size || sym.value % 4 !== 0) {
      throw new ObjectError(`map ${sym.name}: truncated definition (${defSize} bytes at 0x${sym.value.toString(16)}, need 20 of struct bpf_map_def)`, where);
    }
    const fields = readFields(sym, defSize, types.get(sym.name), (at) => view.getUint32(sym.value + at, elf.littleEndian), (at) => s.data[sym.value + at]!, where);
    const spec: MapSpec = {
      name: sym.name,
      type: mapTypeName(fields.get("type") ?? 0),
      keySize: fields.get("key_size") ?? fields.get("size_key") ?? 0,
      valueSize: fields.get("value_size") ?? fields.get("size_value") ?? 0,
      maxEntries: fields.get("max_entries") ?? fields.get("max_elem") ?? 0,
      flags: fields.get("map_flags") ?? fields.get("flags") ?? 0,
      origin: "legacy",
    };
    innerMapIdx.push(fields.get("inner_map_idx"));
    const numaNode = fields.get("numa_node");
    if (numaNode) spec.numaNode = numaNode;
    if (fields.layout === BPF_ELF_MAP) {
      spec.iproute2 = { id: fields.get("id") ?? 0, innerId: fields.get("inner_id") ?? 0, innerIdx: fields.get("inner_idx") ?? 0 };
      const pinning = fields.get("pinning") ?? 0;
      if (pinning) spec.pinning = pinning;
    }
    if (btf) annotateKeyValue(btf, spec);
    return { spec, sectionIndex: s.index, offset: sym.value, size: defSize };
  });
  linkInnerMaps(maps.map((m) => m.spec), elf.littleEndian, s);
  maps.forEach((m, i) => {
    const idx = innerMapIdx[i];
    if (idx === undefined || !MAP_IN_MAP.has(m.spec.type)) return;
    // samples/bpf's inner_map_idx: the template is the idx-th definition of the section
    // (its loader sorts the map symbols by offset, so the idx-th by offset).
    const inner = maps.find((x) => x.offset === idx * defSize)?.spec;
    if (!inner || inner === m.spec) throw new ObjectError(`map ${m.spec.name}: inner_map_idx ${idx} names no other map of the section`, { section: s.name });
    m.spec.innerMap = { name: `${m.spec.name}.inner`, type: inner.type, keySize: inner.keySize, valueSize: inner.valueSize, maxEntries: inner.maxEntries, flags: inner.flags, origin: "inner" };
  });
  return maps;
}

/**
 * iproute2's BPF_ANNOTATE_KV_PAIR: a `struct ____btf_map_NAME { key; value; }` gives the
 * map's key and value BTF types (so the kernel gets them, as tc passes them), when their
 * sizes are the definition's.
 */
function annotateKeyValue(btf: Btf, spec: MapSpec): void {
  const t = btf.byName(`____btf_map_${spec.name}`, "struct")[0];
  if (t?.kind !== "struct" || t.members.length !== 2) return;
  const [key, value] = t.members;
  if (key!.name !== "key" || value!.name !== "value") return;
  try {
    if (btf.sizeof(key!.type) !== spec.keySize || btf.sizeof(value!.type) !== spec.valueSize) return;
  } catch {
    return;
  }
  spec.keyType = key!.type;
  spec.valueType = value!.type;
}

/** The type of each VAR of the section's DATASEC, by variable name. */
function varTypes(btf: Btf, section: string): Map<string, BtfType> {
  const out = new Map<string, BtfType>();
  const datasec = btf.byName(section, "datasec")[0];
  if (!datasec || datasec.kind !== "datasec") return out;
  for (const v of datasec.vars) {
    try {
      const variable = btf.type(v.type);
      if (variable.kind === "var") out.set(variable.name, btf.resolve(variable.type));
    } catch {
      // A definition whose BTF does not resolve is read by its size, as without BTF.
    }
  }
  return out;
}

interface Fields {
  readonly layout: Layout;
  get(name: string): number | undefined;
}

/**
 * The u32 fields of one definition. With a struct in BTF, by member name (an unknown
 * member must be zero, as cilium/ebpf demands of bytes it does not know); without, by
 * size: 20 bytes is a bpf_map_def, 24 to 36 a bpf_elf_map that iproute2 zero-extends.
 */
function readFields(
  sym: ElfSymbol,
  size: number,
  type: BtfType | undefined,
  u32: (at: number) => number,
  byte: (at: number) => number,
  where: { section: string; offset: number },
): Fields {
  const values = new Map<string, number>();
  const known = new Set<number>();
  let layout: Layout;
  if (type?.kind === "struct" && type.members.every((m) => m.bitOffset % 32 === 0 && m.bitSize === 0)) {
    layout = type.members.some((m) => ELF_MAP_ONLY.has(m.name)) ? BPF_ELF_MAP : BPF_MAP_DEF;
    for (const m of type.members) {
      const at = m.bitOffset / 8;
      if (!layout.fields.includes(m.name) || at + 4 > size) continue;
      values.set(m.name, u32(at));
      for (let i = 0; i < 4; i++) known.add(at + i);
    }
  } else {
    // Without BTF, only the first five fields of a bpf_map_def are known to mean that.
    layout = size >= 24 ? BPF_ELF_MAP : BPF_MAP_DEF;
    layout.fields.slice(0, layout === BPF_MAP_DEF ? 5 : undefined).forEach((name, i) => {
      if (4 * i + 4 > size) return;
      values.set(name, u32(4 * i));
      for (let j = 0; j < 4; j++) known.add(4 * i + j);
    });
  }
  for (let at = 0; at < size; at++) {
    if (!known.has(at) && byte(at) !== 0) {
      throw new ObjectError(`map ${sym.name}: unknown and non-zero fields in the definition (byte ${at} of ${size}, as struct ${layout.name})`, where);
    }
  }
  return { layout, get: (name) => values.get(name) };
}

/**
 * iproute2's map-in-map: an outer map names its inner map by `inner_id`; the inner map
 * (the one with that `id`) is the template and goes in the outer map at its `inner_idx`,
 * as iproute2's bpf_maps_attach_all puts it there.
 */
function linkInnerMaps(maps: MapSpec[], littleEndian: boolean, s: ElfSection): void {
  const byId = new Map<number, MapSpec>();
  for (const m of maps) if (m.iproute2?.id) byId.set(m.iproute2.id, m);
  for (const outer of maps) {
    if (!outer.iproute2 || !MAP_IN_MAP.has(outer.type)) continue;
    const innerId = outer.iproute2.innerId;
    if (!innerId) throw new ObjectError(`map ${outer.name}: a ${outer.type} needs an inner map (inner_id is 0)`, { section: s.name });
    const inner = byId.get(innerId);
    if (!inner) throw new ObjectError(`map ${outer.name}: inner map with id ${innerId} not found`, { section: s.name });
    outer.innerMap = { name: `${outer.name}.inner`, type: inner.type, keySize: inner.keySize, valueSize: inner.valueSize, maxEntries: inner.maxEntries, flags: inner.flags, origin: "inner" };
    if (inner.iproute2!.innerId !== 0 || inner.iproute2!.innerIdx === NO_INNER_IDX) continue;
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, inner.iproute2!.innerIdx, littleEndian);
    outer.contents = [...(outer.contents ?? []), { key, map: inner.name }];
  }
}
