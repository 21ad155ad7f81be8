/**
 * @fileoverview The maps of an object as libbpf finds them in `bpf_object__init_maps`:
 * BTF-defined maps in `.maps`, legacy `struct bpf_map_def`s in `maps`, and one array map
 * per global data section, named as libbpf's `internal_map_name` names them.
 */

import type { Btf, BtfMember, BtfType } from "../btf/index.js";
import { R_BPF_64_64, R_BPF_64_ABS64, SHN_UNDEF, SHT_NOBITS, STT_FUNC, STT_SECTION, type ElfFile, type ElfSection, type ElfSymbol } from "../elf/index.js";
import { mapTypeName } from "../maps/types.js";
import { ObjectError } from "./errors.js";
import { structOpsMaps } from "./struct-ops.js";
import { legacyMaps } from "./legacy-maps.js";
import { knownPinning } from "./pinning.js";
import type { MapEntry, MapSpec } from "./types.js";

// libbpf sets BPF_F_RDONLY_PROG on .rodata and .kconfig, BPF_F_MMAPABLE where a variable is not static.
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG } from "../maps/map.js";
export { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG };

/** BPF_OBJ_NAME_LEN: names the kernel keeps are at most 15 characters and a NUL. */
const OBJ_NAME_LEN = 16;

/**
 * The largest global data section taken: far above the kernel's own limit for an array
 * value (KMALLOC_MAX_SIZE), so that a hostile .bss size fails here, not in an allocation.
 */
export const MAX_DATA_SIZE = 1 << 26;

/** The section names libbpf gives special meaning to. */
export const MAPS_SECTION = ".maps";
export const LEGACY_MAPS_SECTION = "maps";
export const KCONFIG_SECTION = ".kconfig";
export const KSYMS_SECTION = ".ksyms";
/** Where clang puts `__arena` globals (address space 1). */
export const ARENA_SECTION = ".addr_space.1";

/** What kind of global data a section holds, as libbpf's SEC_DATA/SEC_RODATA/SEC_BSS. */
export function dataSectionKind(s: ElfSection): "data" | "rodata" | "bss" | undefined {
  const is = (base: string) => s.name === base || s.name.startsWith(base + ".");
  if (s.size === 0) return undefined; // an empty section makes no map (the kernel refuses value_size 0)
  if (s.type === SHT_NOBITS) return is(".bss") ? "bss" : undefined;
  if (is(".data")) return "data";
  if (is(".rodata")) return "rodata";
  return undefined;
}

/**
 * libbpf's object name: the file's base name, cut to 15 characters, up to its first dot
 * ("global-data.bpf.o" gives "global-data").
 */
export function objectName(file: string): string {
  const base = (file.split("/").pop() ?? file).slice(0, OBJ_NAME_LEN - 1);
  const dot = base.indexOf(".");
  return dot >= 0 ? base.slice(0, dot) : base;
}

/**
 * libbpf's `internal_map_name`: a prefix of the object name and the section name, at most
 * 15 characters, other characters than [A-Za-z0-9_.] made "_". A section name with a
 * second dot (".rodata.str1.1") is used alone. ("global-data", ".rodata") gives "global_d.rodata".
 */
export function internalMapName(objName: string, section: string): string {
  const sfx = Math.max(7, section.length);
  const pfx = section.indexOf(".", 1) >= 0 ? 0 : Math.max(0, Math.min(OBJ_NAME_LEN - sfx - 1, objName.length));
  const name = (objName.slice(0, pfx) + section.slice(0, sfx)).slice(0, OBJ_NAME_LEN - 1);
  return name.replace(/[^A-Za-z0-9_.]/g, "_");
}

/** The page size libbpf sizes ring buffers by, where the caller does not say (x86_64's, arm64's usual). */
export const DEFAULT_PAGE_SIZE = 4096;

/**
 * libbpf's `adjust_ringbuf_sz`: the kernel wants a ring buffer's max_entries to be a
 * power-of-2 multiple of the page size, so libbpf rounds a size up to the next one (0 stays
 * 0, for the kernel to refuse; a size that cannot be rounded within a u32 is left alone).
 */
export function adjustRingbufSize(size: number, pageSize = DEFAULT_PAGE_SIZE): number {
  if (size === 0) return 0;
  const pages = size / pageSize;
  if (Number.isInteger(pages) && (pages & (pages - 1)) === 0) return size;
  for (let mul = 1; mul * pageSize <= 0xffffffff; mul *= 2) if (mul * pageSize > size) return mul * pageSize;
  return size;
}

/** ringbuf and user_ringbuf, whose sizes libbpf adjusts. */
export const isRingbuf = (m: { type: string }): boolean => m.type === "ringbuf" || m.type === "user_ringbuf";

/** One map and where its definition lives, so relocations can find it by symbol. */
export interface LocatedMap {
  readonly spec: MapSpec;
  readonly sectionIndex: number;
  /** Byte offset of the definition in its section. */
  readonly offset: number;
  readonly size: number;
}

/**
 * The maps libbpf would make, in its order: legacy (`struct bpf_map_def`, or iproute2's
 * `struct bpf_elf_map` as cilium/ebpf reads it), BTF-defined, global data (kconfig comes later).
 */
export function collectMaps(elf: ElfFile, btf: Btf | undefined, objName: string): LocatedMap[] {
  const out: LocatedMap[] = [];
  const legacy = elf.section(LEGACY_MAPS_SECTION);
  if (legacy) out.push(...legacyMaps(elf, legacy, mapSymbols(elf, legacy), btf));
  const btfMaps = elf.section(MAPS_SECTION);
  if (btfMaps) out.push(...btfDefinedMaps(elf, btfMaps, btf));
  for (const s of elf.sections) {
    const kind = dataSectionKind(s);
    if (kind) out.push(dataMap(s, kind, btf, objName));
  }
  out.push(...structOpsMaps(elf, btf));
  return out;
}

/**
 * libbpf's init_arena_map_data: the `__arena` globals go in the object's one arena, in its
 * last pages (rounded up to a page); a relocation against one is the arena's address plus
 * the returned offset plus the global's own. Undefined when the object has no such globals.
 */
export function placeArenaData(elf: ElfFile, maps: readonly LocatedMap[], pageSize = DEFAULT_PAGE_SIZE): { sectionIndex: number; map: MapSpec; offset: number } | undefined {
  const arenas = maps.filter((m) => m.spec.type === "arena");
  if (arenas.length > 1) throw new ObjectError(`map '${arenas[1]!.spec.name}': only single ARENA map is supported (map '${arenas[0]!.spec.name}' is also ARENA)`, { section: MAPS_SECTION });
  const s = elf.section(ARENA_SECTION);
  const arena = arenas[0]?.spec;
  if (!s || !arena) return undefined;
  const mmapSize = arena.maxEntries * pageSize;
  const allocSize = Math.ceil(s.size / pageSize) * pageSize;
  if (allocSize > mmapSize) throw new ObjectError(`elf: sec '${ARENA_SECTION}': declared ARENA map size (${mmapSize}) is too small to hold global __arena variables of size ${s.size}`, { section: s.name, offset: s.offset });
  const offset = mmapSize - allocSize;
  arena.arenaData = { offset, bytes: s.type === SHT_NOBITS ? new Uint8Array(s.size) : s.data.slice() };
  return { sectionIndex: s.index, map: arena, offset };
}

/** Map symbols of a maps section: named, defined objects (not the section symbol). */
function mapSymbols(elf: ElfFile, s: ElfSection): ElfSymbol[] {
  return elf.symbolsIn(s.index).filter((sym) => sym.type !== STT_SECTION && sym.name !== "" && sym.sectionIndex !== SHN_UNDEF);
}

/** A global data section as a one-element array map, as libbpf's `bpf_object__init_internal_map`. */
function dataMap(s: ElfSection, kind: "data" | "rodata" | "bss", btf: Btf | undefined, objName: string): LocatedMap {
  if (s.size > MAX_DATA_SIZE) {
    throw new ObjectError(`global data of ${s.size} bytes is larger than a map value can be (${MAX_DATA_SIZE})`, { section: s.name, offset: s.offset });
  }
  const value = kind === "bss" ? new Uint8Array(s.size) : s.data.slice();
  const datasec = btf?.byName(s.name, "datasec")[0];
  const spec: MapSpec = {
    name: internalMapName(objName, s.name),
    type: "array",
    keySize: 4,
    valueSize: s.size,
    maxEntries: 1,
    flags: (kind === "rodata" ? BPF_F_RDONLY_PROG : 0) | (datasec && mmapable(btf!, datasec) ? BPF_F_MMAPABLE : 0),
    contents: [{ key: new Uint8Array(4), value }],
    origin: "data",
    section: s.name,
    ...(kind === "rodata" ? { freeze: true } : {}),
    ...(datasec ? { valueType: datasec.id } : {}),
  };
  return { spec, sectionIndex: s.index, offset: 0, size: s.size };
}

/**
 * libbpf's `map_is_mmapable` (libbpf 1.2 on): a global data map is memory-mapped for
 * userspace only when its DATASEC holds a variable that is not static, since only those
 * have a skeleton field to reach them by. A section without a DATASEC (".rodata.str1.1") is not.
 */
export function mmapable(btf: Btf, datasec: BtfType): boolean {
  if (datasec.kind !== "datasec") return false;
  return datasec.vars.some((v) => {
    const t = btf.types[v.type];
    return t?.kind === "var" && t.linkage !== "static";
  });
}

/** The fields `__uint(name, val)` and `__type(name, T)` may set, and `__array(values, ...)`. */
interface MapDef {
  type?: number;
  keySize?: number;
  valueSize?: number;
  keyType?: number;
  valueType?: number;
  maxEntries?: number;
  flags?: number;
  numaNode?: number;
  pinning?: number;
  mapExtra?: bigint;
  inner?: MapSpec;
  /** Byte offset of the `values` member in the definition. */
  valuesOffset?: number;
  isProgArray?: boolean;
}

type StructType = Extract<BtfType, { members: BtfMember[] }>;

const MAP_IN_MAP = new Set(["array_of_maps", "hash_of_maps"]);

/** BTF-defined maps: every VAR of the ".maps" DATASEC is a struct of pointer-encoded fields. */
function btfDefinedMaps(elf: ElfFile, s: ElfSection, btf: Btf | undefined): LocatedMap[] {
  const syms = mapSymbols(elf, s);
  if (!btf) {
    if (syms.length === 0) return [];
    throw new ObjectError("BTF-defined maps need the object's .BTF, which it does not have", { section: s.name, offset: s.offset });
  }
  const datasec = btf.byName(MAPS_SECTION, "datasec")[0];
  if (!datasec || datasec.kind !== "datasec") {
    if (syms.length === 0) return [];
    throw new ObjectError("no DATASEC .maps in .BTF", { section: s.name, offset: s.offset });
  }
  const bySymbol = new Map(syms.map((sym): [string, ElfSymbol] => [sym.name, sym]));
  const maps: LocatedMap[] = [];
  for (const v of datasec.vars) {
    const variable = btfType(btf, v.type, s);
    if (variable.kind !== "var") throw new ObjectError(`DATASEC .maps member [${v.type}] is a ${variable.kind}, not a VAR`, { section: s.name, offset: s.offset });
    const name = variable.name;
    const sym = bySymbol.get(name);
    // libbpf takes the offset from BTF (which it fixed up from the symbols); so does this.
    const offset = sym?.value ?? v.offset;
    const where = { section: s.name, offset: s.offset + Math.min(offset, s.size) };
    const def = btfType(btf, variable.type, s, true);
    if (def.kind !== "struct") throw new ObjectError(`map ${name}: definition is a ${def.kind}, not a struct`, where);
    // A `.values = {...}` initialiser makes the variable longer than its struct.
    const size = Math.max(def.size, sym?.size ?? 0, v.size);
    if (s.type !== SHT_NOBITS && offset + size > s.size) {
      throw new ObjectError(`map ${name}: definition [0x${offset.toString(16)}, 0x${(offset + size).toString(16)}) is past the end of the section (0x${s.size.toString(16)} bytes)`, where);
    }
    const parsed = parseMapDef(btf, name, def, false, where);
    const spec = toSpec(name, parsed, "btf");
    if (parsed.valuesOffset !== undefined) {
      spec.contents = initialSlots(elf, s, { name, offset, size, valuesOffset: parsed.valuesOffset, progArray: !!parsed.isProgArray });
    }
    maps.push({ spec, sectionIndex: s.index, offset, size });
  }
  return maps;
}

function btfType(btf: Btf, id: number, s: ElfSection, resolve = false): BtfType {
  try {
    return resolve ? btf.resolve(id) : btf.type(id);
  } catch (e) {
    throw new ObjectError(`bad BTF type [${id}]: ${(e as Error).message}`, { section: s.name, offset: s.offset });
  }
}

function toSpec(name: string, d: MapDef, origin: MapSpec["origin"]): MapSpec {
  const spec: MapSpec = {
    name,
    type: mapTypeName(d.type ?? 0),
    keySize: d.keySize ?? 0,
    valueSize: d.valueSize ?? 0,
    maxEntries: d.maxEntries ?? 0,
    flags: d.flags ?? 0,
    origin,
  };
  if (d.pinning !== undefined) spec.pinning = d.pinning;
  if (d.numaNode !== undefined) spec.numaNode = d.numaNode;
  if (d.mapExtra !== undefined) spec.mapExtra = d.mapExtra;
  if (d.keyType !== undefined) spec.keyType = d.keyType;
  if (d.valueType !== undefined) spec.valueType = d.valueType;
  if (d.inner) spec.innerMap = d.inner;
  return spec;
}

/** libbpf's `parse_btf_map_def`: one struct member per attribute. */
function parseMapDef(btf: Btf, name: string, def: StructType, inner: boolean, where: { section: string; offset: number }): MapDef {
  const d: MapDef = {};
  const fail = (m: BtfMember | undefined, why: string): never => {
    throw new ObjectError(`map ${name}: ${m ? `attr '${m.name}': ` : ""}${why}`, where);
  };
  /** `int (*name)[val]`: the value is the array's element count. */
  const intField = (m: BtfMember): number => {
    const ptr = btf.resolve(m.type);
    if (ptr.kind !== "ptr") return fail(m, `expected PTR, got ${ptr.kind}`);
    const arr = btf.type(ptr.type);
    if (arr.kind !== "array") return fail(m, `expected ARRAY, got ${arr.kind}`);
    return arr.nelems;
  };
  /**
   * `__ulong(name, val)`, an anonymous enum of one value (64-bit values such as an arena's
   * address), or an int field: libbpf's get_map_field_long.
   */
  const longField = (m: BtfMember): bigint => {
    const t = btf.resolve(m.type);
    if (t.kind === "ptr") return BigInt(intField(m));
    if (t.kind !== "enum") return fail(m, `expected ENUM or ENUM64, got ${t.kind}`);
    if (t.values.length !== 1) return fail(m, "invalid __ulong");
    return BigInt.asUintN(64, t.values[0]!.value);
  };
  /** `T *name`: the type and its size. */
  const typeField = (m: BtfMember): { id: number; size: number } => {
    const ptr = btf.resolve(m.type);
    if (ptr.kind !== "ptr") return fail(m, `expected PTR, got ${ptr.kind}`);
    let size: number;
    try {
      size = btf.sizeof(ptr.type);
    } catch (e) {
      return fail(m, `can't determine size of type [${ptr.type}]: ${(e as Error).message}`);
    }
    return { id: ptr.type, size };
  };
  def.members.forEach((m, i) => {
    try {
      switch (m.name) {
        case "type": d.type = intField(m); break;
        case "max_entries": d.maxEntries = intField(m); break;
        case "map_flags": d.flags = intField(m); break;
        case "numa_node": d.numaNode = intField(m); break;
        case "pinning": {
          d.pinning = intField(m);
          // libbpf's 0 and LIBBPF_PIN_BY_NAME, and Cilium's CILIUM_PIN_REPLACE, which cilium/ebpf passes on.
          if (!knownPinning("libbpf", d.pinning)) fail(m, `invalid pinning value ${d.pinning}`);
          break;
        }
        case "map_extra": d.mapExtra = longField(m); break;
        case "key_size": {
          const v = intField(m);
          if (d.keySize !== undefined && d.keySize !== v) fail(m, `conflicting key size ${d.keySize} != ${v}`);
          d.keySize = v;
          break;
        }
        case "value_size": {
          const v = intField(m);
          if (d.valueSize !== undefined && d.valueSize !== v) fail(m, `conflicting value size ${d.valueSize} != ${v}`);
          d.valueSize = v;
          break;
        }
        case "key": {
          const t = typeField(m);
          if (d.keySize !== undefined && d.keySize !== t.size) fail(m, `conflicting key size ${d.keySize} != ${t.size}`);
          d.keySize = t.size;
          d.keyType = t.id;
          break;
        }
        case "value": {
          const t = typeField(m);
          if (d.valueSize !== undefined && d.valueSize !== t.size) fail(m, `conflicting value size ${d.valueSize} != ${t.size}`);
          d.valueSize = t.size;
          d.valueType = t.id;
          break;
        }
        case "values": {
          const typeName = mapTypeName(d.type ?? 0);
          const isProgArray = typeName === "prog_array";
          if (inner) fail(m, "multi-level inner maps are not supported");
          if (i !== def.members.length - 1) fail(m, "must be the last member");
          if (!MAP_IN_MAP.has(typeName) && !isProgArray) fail(m, `needs a map-in-map or prog_array type, not ${typeName}`);
          if (d.valueSize !== undefined && d.valueSize !== 4) fail(m, `value size ${d.valueSize} must be 4 (a map or program fd)`);
          d.valueSize = 4;
          const arr = btf.type(m.type);
          if (arr.kind !== "array" || arr.nelems !== 0) fail(m, "must be a zero-sized array");
          const ptr = btf.resolve((arr as Extract<BtfType, { kind: "array" }>).type);
          if (ptr.kind !== "ptr") fail(m, `array of ${ptr.kind}, expected pointers`);
          const target = btf.resolve((ptr as Extract<BtfType, { kind: "ptr" }>).type);
          d.valuesOffset = m.bitOffset / 8;
          if (isProgArray) {
            if (target.kind !== "func_proto") fail(m, `prog_array values must point to functions, not ${target.kind}`);
            d.isProgArray = true;
            break;
          }
          if (target.kind !== "struct") fail(m, `inner map definition is a ${target.kind}, not a struct`);
          const innerName = `${name}.inner`;
          d.inner = toSpec(innerName, parseMapDef(btf, innerName, target as StructType, true, where), "inner");
          break;
        }
        default:
          fail(undefined, `unknown field '${m.name}'`);
      }
    } catch (e) {
      if (e instanceof ObjectError) throw e;
      throw new ObjectError(`map ${name}: attr '${m.name}': ${(e as Error).message}`, where);
    }
  });
  if (d.type === undefined) fail(undefined, "no map type given");
  return d;
}

/**
 * The `.values = { [2] = &prog }` of a prog_array or map-in-map: relocations in `.maps`
 * inside the `values` member, one 8-byte pointer slot per index.
 */
function initialSlots(
  elf: ElfFile,
  s: ElfSection,
  m: { name: string; offset: number; size: number; valuesOffset: number; progArray: boolean },
): MapEntry[] {
  const entries: MapEntry[] = [];
  const start = m.offset + m.valuesOffset;
  for (const r of elf.relocationsFor(s.index)) {
    if (r.offset < m.offset || r.offset >= m.offset + m.size) continue;
    if (r.offset < start) {
      throw new ObjectError(`map ${m.name}: relocation at 0x${r.offset.toString(16)} is before the values member`, { section: s.name, offset: s.offset + r.offset });
    }
    if (r.type !== R_BPF_64_64 && r.type !== R_BPF_64_ABS64) {
      throw new ObjectError(`map ${m.name}: unexpected relocation type ${r.type} in values`, { section: s.name, offset: s.offset + r.offset });
    }
    if ((r.offset - start) % 8 !== 0) {
      throw new ObjectError(`map ${m.name}: values relocation at 0x${r.offset.toString(16)} is not on a pointer slot`, { section: s.name, offset: s.offset + r.offset });
    }
    const sym = elf.symbols[r.symbolIndex]!;
    const index = (r.offset - start) / 8;
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, index, elf.littleEndian);
    if (m.progArray) {
      if (sym.type !== STT_FUNC) throw new ObjectError(`map ${m.name}: values[${index}] relocation against ${sym.name || "a non-function"}, expected a program`, { section: s.name, offset: s.offset + r.offset });
      entries.push({ key, program: sym.name });
    } else {
      if (sym.sectionIndex !== s.index) throw new ObjectError(`map ${m.name}: values[${index}] relocation against ${sym.name || "a symbol"} outside .maps`, { section: s.name, offset: s.offset + r.offset });
      entries.push({ key, map: sym.name });
    }
  }
  return entries;
}

