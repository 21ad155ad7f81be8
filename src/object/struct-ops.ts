/**
 * @fileoverview struct_ops maps, as libbpf's `bpf_object__init_struct_ops_maps` opens
 * them: each variable of `.struct_ops` (or `.struct_ops.link`, created with BPF_F_LINK)
 * is a map of type struct_ops whose value is a kernel struct of function pointers
 * (`struct tcp_congestion_ops`), each pointer a program of a `struct_ops/` section.
 */

import type { Btf, BtfType } from "../btf/index.js";
import { R_BPF_64_64, R_BPF_64_ABS64, STT_FUNC, STT_SECTION, SHT_NOBITS, type ElfFile } from "../elf/index.js";
import { ObjectError } from "./errors.js";
import type { MapSpec } from "./types.js";

/** The sections libbpf reads struct_ops maps from. */
export const STRUCT_OPS_SECTION = ".struct_ops";
export const STRUCT_OPS_LINK_SECTION = ".struct_ops.link";

/** BPF_F_LINK: a struct_ops map registered through a link, not by its update. */
export const BPF_F_LINK = 1 << 13;

/** Where a located map sits, for relocations (the same shape as maps.ts's LocatedMap). */
interface Located {
  readonly spec: MapSpec;
  readonly sectionIndex: number;
  readonly offset: number;
  readonly size: number;
}

/** The struct_ops maps of both sections, in section then variable order. */
export function structOpsMaps(elf: ElfFile, btf: Btf | undefined): Located[] {
  const out: Located[] = [];
  for (const name of [STRUCT_OPS_SECTION, STRUCT_OPS_LINK_SECTION]) {
    const s = elf.section(name);
    if (!s) continue;
    const where = { section: name, offset: s.offset };
    if (!btf) throw new ObjectError("struct_ops maps need the object's .BTF, which it does not have", where);
    if (s.type === SHT_NOBITS) throw new ObjectError("struct_ops section has no bytes (SHT_NOBITS)", where);
    const datasec = btf.byName(name, "datasec")[0];
    if (!datasec || datasec.kind !== "datasec") throw new ObjectError(`no DATASEC ${name} in .BTF`, where);
    const symbols = new Map(elf.symbolsIn(s.index).filter((x) => x.type !== STT_SECTION && x.name).map((x) => [x.name, x]));
    for (const v of datasec.vars) {
      const variable = btf.type(v.type);
      if (variable.kind !== "var") throw new ObjectError(`DATASEC ${name} member [${v.type}] is a ${variable.kind}, not a VAR`, where);
      const type = btf.resolve(variable.type);
      if (type.kind !== "struct") throw new ObjectError(`struct_ops ${variable.name}: a ${type.kind}, not a struct`, where);
      const offset = symbols.get(variable.name)?.value ?? v.offset;
      if (offset + type.size > s.size) throw new ObjectError(`struct_ops ${variable.name}: [0x${offset.toString(16)}, 0x${(offset + type.size).toString(16)}) is past the section's end`, where);
      const spec: MapSpec = {
        name: variable.name,
        type: "struct_ops",
        keySize: 4,
        valueSize: type.size,
        maxEntries: 1,
        flags: name === STRUCT_OPS_LINK_SECTION ? BPF_F_LINK : 0,
        origin: "struct_ops",
        section: name,
        valueType: type.id,
        contents: [{ key: new Uint8Array(4), value: s.data.slice(offset, offset + type.size) }],
        structOps: { typeName: type.name, programs: programSlots(elf, s.index, variable.name, type, offset) },
      };
      out.push({ spec, sectionIndex: s.index, offset, size: type.size });
    }
  }
  return out;
}

/** The function-pointer members the section's relocations fill, by member name: program names. */
function programSlots(elf: ElfFile, sectionIndex: number, mapName: string, type: Extract<BtfType, { members: unknown }>, base: number): Record<string, string> {
  const sec = elf.sections[sectionIndex]!;
  const slots: Record<string, string> = {};
  for (const r of elf.relocationsFor(sectionIndex)) {
    if (r.offset < base || r.offset >= base + type.size) continue;
    const where = { section: sec.name, offset: sec.offset + r.offset };
    if (r.type !== R_BPF_64_ABS64 && r.type !== R_BPF_64_64) throw new ObjectError(`struct_ops ${mapName}: unexpected relocation type ${r.type}`, where);
    const member = type.members.find((m) => m.bitOffset / 8 === r.offset - base);
    if (!member) throw new ObjectError(`struct_ops ${mapName}: relocation at 0x${r.offset.toString(16)} is not at a member`, where);
    const sym = elf.symbols[r.symbolIndex];
    let fn = sym?.type === STT_FUNC ? sym : undefined;
    if (sym?.type === STT_SECTION) {
      if (r.offset + 8 > sec.size) throw new ObjectError(`struct_ops ${mapName}: relocation at 0x${r.offset.toString(16)} runs past the section's end`, where);
      // Against the section symbol, the function's offset is the word being relocated.
      const at = new DataView(sec.data.buffer, sec.data.byteOffset).getBigUint64(r.offset, elf.littleEndian);
      fn = elf.symbolsIn(sym.sectionIndex).find((x) => x.type === STT_FUNC && BigInt(x.value) === at);
    }
    if (!fn) throw new ObjectError(`struct_ops ${mapName}: member ${member.name} points at ${sym?.name || "a symbol"}, not a program`, where);
    slots[member.name] = fn.name;
  }
  return slots;
}
