/**
 * @fileoverview Externs: `__kconfig` variables (read from a ".kconfig" map libbpf makes
 * and fills) and `__ksym` variables and functions (kernel addresses or BTF ids), found
 * as undefined ELF symbols described by the DATASECs ".kconfig" and ".ksyms" of the BTF.
 */

import type { Btf, BtfType } from "../btf/index.js";
import { SHN_UNDEF, STB_WEAK, STT_SECTION, type ElfFile } from "../elf/index.js";
import { ObjectError, UnresolvedExternError } from "./errors.js";
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, KCONFIG_SECTION, KSYMS_SECTION, MAX_DATA_SIZE, internalMapName } from "./maps.js";
import type { MapSpec } from "./types.js";

export type KconfigValue = bigint | number | boolean | string;

export interface Extern {
  readonly name: string;
  readonly section: typeof KCONFIG_SECTION | typeof KSYMS_SECTION;
  readonly weak: boolean;
  /** A `__ksym` function (a kfunc), called rather than loaded. */
  readonly func: boolean;
  /** The VAR's (or FUNC's) type id in the object's BTF. */
  readonly btfId: number;
  /** A ksym variable with a type (`extern const void x __ksym` has none: it resolves through kallsyms). */
  readonly typed: boolean;
  /** For kconfig: the offset of its value in the ".kconfig" map. */
  offset: number;
  size: number;
  align: number;
}

/** Every extern symbol, described by its BTF; libbpf's `bpf_object__collect_externs`. */
export function collectExterns(elf: ElfFile, btf: Btf | undefined): Map<string, Extern> {
  const externs = new Map<string, Extern>();
  const undefinedSyms = elf.symbols.filter((s) => s.index !== 0 && s.sectionIndex === SHN_UNDEF && s.name !== "" && s.type !== STT_SECTION);
  if (undefinedSyms.length === 0) return externs;
  if (!btf) throw new ObjectError(`extern ${undefinedSyms[0]!.name}: externs need the object's .BTF, which it does not have`, { section: ".symtab" });
  const bySection = new Map<number, typeof KCONFIG_SECTION | typeof KSYMS_SECTION>();
  for (const sec of [KCONFIG_SECTION, KSYMS_SECTION] as const) {
    for (const ds of btf.byName(sec, "datasec")) {
      if (ds.kind !== "datasec") continue;
      for (const v of ds.vars) bySection.set(v.type, sec);
    }
  }
  const byName = new Map<string, BtfType>();
  for (const id of bySection.keys()) {
    const t = btf.type(id);
    byName.set(t.name, t);
  }
  for (const sym of undefinedSyms) {
    const t = byName.get(sym.name);
    if (!t) throw new ObjectError(`extern ${sym.name}: not in a .kconfig or .ksyms DATASEC of the BTF`, { section: ".symtab" });
    const section = bySection.get(t.id)!;
    const func = t.kind === "func";
    let size = 0;
    let align = 1;
    if (section === KCONFIG_SECTION) {
      if (t.kind !== "var") throw new ObjectError(`extern ${sym.name}: a ${t.kind} in .kconfig, expected a variable`, { section: KCONFIG_SECTION });
      size = btf.sizeof(t.type);
      const r = btf.resolve(t.type);
      align = r.kind === "array" ? 1 : Math.min(8, size) || 1;
    }
    const typed = t.kind === "var" && btf.resolve(t.type).kind !== "void";
    externs.set(sym.name, { name: sym.name, section, weak: sym.bind === STB_WEAK, func, btfId: t.id, typed, offset: 0, size, align });
  }
  return externs;
}

/**
 * Lays the kconfig externs out as libbpf does: by alignment (largest first), then size
 * (smallest first), then name; each at the next offset its alignment allows.
 * Returns the map's value size.
 */
export function layoutKconfig(externs: Map<string, Extern>): number {
  const list = [...externs.values()].filter((e) => e.section === KCONFIG_SECTION);
  list.sort((a, b) => b.align - a.align || a.size - b.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let off = 0;
  for (const e of list) {
    e.offset = Math.ceil(off / e.align) * e.align;
    off = e.offset + e.size;
  }
  return off;
}

/** The ".kconfig" map with every kconfig extern's value written into it. */
export function kconfigMap(
  objName: string,
  btf: Btf,
  externs: Map<string, Extern>,
  values: Record<string, KconfigValue>,
  littleEndian: boolean,
): MapSpec | undefined {
  const size = layoutKconfig(externs);
  if (size > MAX_DATA_SIZE) throw new ObjectError(`kconfig externs need ${size} bytes, more than a map value can be`, { section: KCONFIG_SECTION });
  const list = [...externs.values()].filter((e) => e.section === KCONFIG_SECTION);
  if (list.length === 0) return undefined;
  const bytes = new Uint8Array(Math.max(size, 1));
  const view = new DataView(bytes.buffer);
  const unresolved: string[] = [];
  for (const e of list) {
    const given = values[e.name];
    if (given === undefined) {
      // A __weak extern without a value reads as zero; a strong one fails the load, as in libbpf.
      if (!e.weak) unresolved.push(e.name);
      continue;
    }
    const v = btf.type(e.btfId);
    writeKconfig(btf, v.kind === "var" ? v.type : 0, e, given, view, littleEndian);
  }
  const datasec = btf.byName(KCONFIG_SECTION, "datasec")[0];
  return {
    name: internalMapName(objName, KCONFIG_SECTION),
    type: "array",
    keySize: 4,
    valueSize: bytes.length,
    maxEntries: 1,
    flags: BPF_F_RDONLY_PROG | BPF_F_MMAPABLE,
    contents: [{ key: new Uint8Array(4), value: bytes }],
    origin: "kconfig",
    section: KCONFIG_SECTION,
    freeze: true,
    ...(datasec ? { valueType: datasec.id } : {}),
    ...(unresolved.length ? { unresolved } : {}),
  };
}

/** Throws, as libbpf's load does, for a ".kconfig" map with a strong extern that has no value. */
export function checkKconfig(m: MapSpec): void {
  const name = m.unresolved?.[0];
  if (name === undefined) return;
  const hint = name === "LINUX_KERNEL_VERSION" ? " (the running kernel's KERNEL_VERSION(a, b, c))" : "";
  throw new UnresolvedExternError(name, KCONFIG_SECTION, `give its value in options.kconfig${hint}, or with tsbpf's --kconfig ${name}=VALUE`);
}

/** `enum libbpf_tristate`: TRI_NO, TRI_YES, TRI_MODULE. */
const TRISTATE: Record<string, number> = { n: 0, y: 1, m: 2 };

function writeKconfig(btf: Btf, typeId: number, e: Extern, given: KconfigValue, view: DataView, le: boolean): void {
  const t = btf.resolve(typeId);
  const bad = (why: string): never => {
    throw new ObjectError(`extern ${e.name}: ${why}`, { section: KCONFIG_SECTION });
  };
  if (t.kind === "array") {
    // char arrays take strings, NUL-padded; too long is cut as libbpf does.
    if (typeof given !== "string") bad(`value ${String(given)} for a char array must be a string`);
    const text = new TextEncoder().encode(given as string).subarray(0, Math.max(0, e.size - 1));
    new Uint8Array(view.buffer, e.offset, e.size).set(text);
    return;
  }
  let n: bigint;
  if (typeof given === "boolean") n = given ? 1n : 0n;
  else if (typeof given === "string") {
    if (TRISTATE[given] !== undefined && (t.kind === "enum" || (t.kind === "int" && t.bool) || e.size === 1)) n = BigInt(TRISTATE[given]!);
    else if (/^-?(0x[0-9a-f]+|\d+)$/i.test(given)) n = BigInt(given);
    else return bad(`value "${given}" is not a number, y, n or m`);
  } else if (typeof given === "number") {
    if (!Number.isInteger(given)) bad(`value ${given} is not an integer`);
    n = BigInt(given);
  } else n = given;
  if (t.kind === "int" && t.bool && n !== 0n && n !== 1n) bad(`value ${n} for a bool is not 0 or 1`);
  if (t.kind === "enum" && t.name === "libbpf_tristate" && (n < 0n || n > 2n)) bad(`value ${n} is not a tristate (n, y, m)`);
  // Either reading of the bytes will do (-1 for a u32 is 0xffffffff), as libbpf allows.
  const bits = BigInt(Math.max(1, e.size) * 8);
  if (n < -(1n << (bits - 1n)) || n > (1n << bits) - 1n) bad(`value ${n} does not fit in ${e.size} bytes`);
  switch (e.size) {
    case 1: view.setUint8(e.offset, Number(BigInt.asUintN(8, n))); break;
    case 2: view.setUint16(e.offset, Number(BigInt.asUintN(16, n)), le); break;
    case 4: view.setUint32(e.offset, Number(BigInt.asUintN(32, n)), le); break;
    case 8: view.setBigUint64(e.offset, BigInt.asUintN(64, n), le); break;
    default: bad(`unsupported size ${e.size} for an integer`);
  }
}
