/**
 * @fileoverview The object spec: libbpf's view of a BPF object after `bpf_object__open`,
 * as plain data a user may inspect, copy and edit before `loadObject` makes live objects.
 */

import type { Btf } from "../btf/index.js";
import type { Instruction } from "../isa/instruction.js";

/** What the loader must still fill in at one instruction. */
export interface Reference {
  /** Index into `ProgramSpec.instructions` (not a slot). */
  readonly insnIndex: number;
  /**
   * - "map": a 64-bit load of a map (BPF_PSEUDO_MAP_FD), `name` the map's name.
   * - "data": the address of a global data map's value (BPF_PSEUDO_MAP_VALUE), `name` the
   *   map's name — libbpf's internal name: up to 8 characters of the object name and the
   *   section ("global_d.rodata" for .rodata of global-data.bpf.o; ".rodata.cst16" alone
   *   for a section name with a second dot) — and `offset` the byte offset in its value;
   *   for an arena (an `__arena` global), `name` is the arena and `offset` the global's offset in its pages.
   * - "kconfig": a `__kconfig` extern, read from the ".kconfig" map at `offset`; `name` is the extern.
   * - "ksym": a 64-bit load of a `__ksym` variable (or of a kfunc's address, as
   *   `bpf_ksym_exists` does): an address from kallsyms, or a BTF id (BPF_PSEUDO_BTF_ID).
   * - "kfunc": a call of a `__ksym` function (BPF_PSEUDO_KFUNC_CALL), by BTF id.
   * - "subprog": a call (or BPF_PSEUDO_FUNC load) of an appended .text function, already fixed.
   */
  readonly kind: "map" | "data" | "kconfig" | "ksym" | "kfunc" | "subprog";
  readonly name: string;
  readonly offset?: number;
  /** For "kconfig": the map the value lives in. */
  readonly map?: string;
  /**
   * For "ksym" and "kfunc": true while the extern is not resolved yet, because opening
   * does not need the target kernel. The kernel engine resolves it against the running
   * kernel's BTF (vmlinux, then modules) or kallsyms, as libbpf does at load; a weak one
   * that is not found becomes 0, a strong one fails the programs that use it.
   */
  readonly pending?: boolean;
  /** The extern is `__weak`. */
  readonly weak?: boolean;
  /** For "ksym": the variable has a BTF type (it loads by BTF id), or it is a kfunc's address; else a kallsyms address. */
  readonly typed?: boolean;
  /** For "ksym": a kfunc's address (`bpf_ksym_exists(kfunc)`), loaded by the FUNC's BTF id. */
  readonly func?: boolean;
}

/** A `bpf_func_info` of the program: where each function starts, and its BTF FUNC id. */
export interface FuncInfo {
  /** Slot offset in the program. */
  readonly insnOff: number;
  readonly typeId: number;
}

/** A `bpf_line_info` of the program: the source line an instruction came from. */
export interface LineInfo {
  /** Slot offset in the program. */
  readonly insnOff: number;
  readonly fileName: string;
  readonly line: number;
  readonly column: number;
  readonly lineText: string;
}

/** A CO-RE relocation not applied because no target BTF was given. */
export interface PendingCoreRelocation {
  readonly insnIndex: number;
  readonly typeId: number;
  readonly accessString: string;
  readonly kind: string;
}

export interface ProgramSpec {
  /** The function symbol, libbpf's `bpf_program__name`. */
  name: string;
  sectionName: string;
  /** The program type's short name as in src/programs/types.ts ("xdp", "sched_cls", "kprobe"). */
  type: string;
  /** The attach type's short name ("xdp", "cgroup_inet4_connect"), when the section sets one. */
  expectedAttachType?: string;
  /** What the section names to attach to: "do_sys_open", "syscalls/sys_enter_openat", "sched_switch". */
  attachTo?: string;
  /** BPF_F_SLEEPABLE / BPF_F_XDP_HAS_FRAGS, from the section, as BPF_F_* bits. */
  flags: number;
  /** False for `SEC("?...")`. */
  autoload: boolean;
  /** The function, then the .text subprograms it calls (in the order libbpf appends them), calls fixed. */
  instructions: Instruction[];
  references: Reference[];
  /** Function starts, adjusted to this program's slots (from .BTF.ext). */
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
  /** CO-RE relocations left as the compiler wrote them (no target BTF was given). */
  pendingCore: PendingCoreRelocation[];
  license: string;
  /**
   * Slots (8-byte units; a 64-bit load is two) of the program's own function, before the
   * subprograms it calls are appended: what libbpf's `bpf_program__insn_cnt` says after open.
   */
  functionSlots?: number;
  /**
   * Why loading this program must fail, found at open (a CO-RE relocation libbpf cannot
   * resolve). As in libbpf, only this program's load fails; the object still opens.
   */
  loadError?: string;
}

/** One element a map starts with. */
export interface MapEntry {
  readonly key: Uint8Array;
  /** The value bytes (global data, user-given contents). */
  readonly value?: Uint8Array;
  /** For a prog_array: the program whose fd goes here. */
  readonly program?: string;
  /** For array_of_maps/hash_of_maps: the map whose fd goes here. */
  readonly map?: string;
}

export interface MapSpec {
  name: string;
  /** The map type's short name, as bpftool prints it ("hash", "array", "prog_array"). */
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** BPF_F_* map flags. */
  flags: number;
  /**
   * The `pinning` attribute as the object gives it; absent or 0: not pinned. For a BTF
   * or `bpf_map_def` map, libbpf's: 1 is LIBBPF_PIN_BY_NAME. For an iproute2
   * `struct bpf_elf_map` (`iproute2` is set), iproute2's: 1 PIN_OBJECT_NS, 2
   * PIN_GLOBAL_NS. Either may be Cilium's CILIUM_PIN_REPLACE (16). `pinPlan` in
   * pinning.ts says where each goes.
   */
  pinning?: number;
  /**
   * For a legacy map defined as iproute2's `struct bpf_elf_map`: its `id` (which
   * `ID/SLOT` tail-call sections and map-in-map pairs name), `inner_id` (for a
   * map-in-map: the id of its inner map) and `inner_idx` (for an inner map: its slot
   * in the outer maps that name its id).
   */
  iproute2?: { id: number; innerId: number; innerIdx: number };
  numaNode?: number;
  mapExtra?: bigint;
  /** For map-in-map types: the shape of the inner maps. */
  innerMap?: MapSpec;
  /** BTF type ids in the object's BTF. */
  keyType?: number;
  valueType?: number;
  /** Initial elements. */
  contents?: MapEntry[];
  /**
   * Where it came from: "btf" (`.maps`), "legacy" (`maps`, struct bpf_map_def or
   * iproute2's struct bpf_elf_map), "data" (a global data section, `section` names it),
   * "kconfig", "inner" (a map-in-map's template), "struct_ops" (a variable of `.struct_ops`
   * or `.struct_ops.link`).
   */
  origin: "btf" | "legacy" | "data" | "kconfig" | "inner" | "struct_ops";
  /** The ELF section of a global data map. */
  section?: string;
  /** Frozen after it is filled (libbpf freezes .rodata and .kconfig). */
  freeze?: boolean;
  /**
   * For the ".kconfig" map: strong externs nobody gave a value for. Opening goes on, as
   * in libbpf; loading a program that reads this map fails, naming them.
   */
  unresolved?: string[];
  /**
   * For a struct_ops map: the kernel struct it implements (`tcp_congestion_ops`), and the
   * program each function-pointer member points at. `contents` holds the object's bytes
   * of the struct; the kernel engine lays them out as the kernel's struct at load.
   */
  structOps?: { typeName: string; programs: Record<string, string> };
  /**
   * For an arena: the object's `__arena` globals (section `.addr_space.1`), which libbpf
   * copies into the arena's last pages, at `offset`, once it has mapped it.
   */
  arenaData?: { offset: number; bytes: Uint8Array };
}

export interface ObjectSpec {
  /** libbpf's object name: the file's base name up to its first dot. */
  name: string;
  programs: ProgramSpec[];
  maps: MapSpec[];
  license: string;
  /** The `version` section (LINUX_VERSION_CODE for old kprobe loads). */
  kernelVersion?: number;
  btf?: Btf;
  /** The raw .BTF.ext, for tools. */
  btfExt?: Uint8Array;
  littleEndian: boolean;
  /** iproute2's object id, the SHA-1 of the file in hex: PIN_OBJECT_NS maps go under `<pin root>/tc/<it>/`. */
  objectUid?: string;
}
