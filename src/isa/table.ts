/**
 * @fileoverview The instruction table: one row per instruction form, the only place an
 * instruction is added. A row says which fields select it, which fields it uses, its
 * conformance group, and how it reads in LLVM's syntax and in the kernel's. Validation,
 * both disassemblers and the assembler are all driven from these rows.
 */

import { AluOp, AtomicOp, Class, JmpOp, Mode, PseudoCall, PseudoLd, Size, Source } from "./opcodes.js";

/** RFC 9669 conformance groups, plus `kernel` for the kernel's later additions. */
export type ConformanceGroup =
  | "base32" | "base64" | "atomic32" | "atomic64" | "divmul32" | "divmul64" | "packet" | "kernel";

/** What a register field does: read, written (read too, for ALU), or a memory base. */
export type RegisterRole = "read" | "write" | "readwrite" | "base";

export interface InstructionForm {
  /** A unique, readable name of the form, e.g. `add64_imm`, `atomic_fetch_add32`. */
  readonly id: string;
  readonly opcode: number;
  /** Field values that select this form among those sharing its opcode. */
  readonly select: { readonly src?: number; readonly off?: number; readonly imm?: number };
  /** Fields the form uses; any other field must be zero (a selected field is fixed). */
  readonly dst?: RegisterRole;
  readonly src?: RegisterRole;
  readonly off?: boolean;
  readonly imm?: boolean;
  /** A register the instruction writes implicitly (r0 for cmpxchg and packet loads). */
  readonly writesR0?: boolean;
  readonly group: ConformanceGroup;
  /** The kernel's name of the family, used in its "uses reserved fields" message. */
  readonly family: string;
  /**
   * Text templates. `{dst}`/`{src}` are register numbers; `{imm}` a signed immediate,
   * `{ximm}` the immediate as unsigned 32-bit hex, `{off}` a memory offset, `{target}`
   * a jump by `off`, `{ltarget}` a jump by `imm`, `{imm64}` the 64-bit immediate,
   * `{next}` the second slot's immediate, `{helper}` a helper by id, `{asdst}`/`{assrc}`
   * the address spaces of a cast.
   */
  readonly llvm: string;
  readonly kernel: string;
  /** Further spellings the assembler accepts (e.g. clang's alu32 forms). */
  readonly aliases?: readonly string[];
}

const ALU_OPS: readonly { op: AluOp; name: string; text: string; signed?: boolean }[] = [
  { op: AluOp.Add, name: "add", text: "+=" },
  { op: AluOp.Sub, name: "sub", text: "-=" },
  { op: AluOp.Mul, name: "mul", text: "*=" },
  { op: AluOp.Div, name: "div", text: "/=" },
  { op: AluOp.Div, name: "sdiv", text: "s/=", signed: true },
  { op: AluOp.Or, name: "or", text: "|=" },
  { op: AluOp.And, name: "and", text: "&=" },
  { op: AluOp.Lsh, name: "lsh", text: "<<=" },
  { op: AluOp.Rsh, name: "rsh", text: ">>=" },
  { op: AluOp.Mod, name: "mod", text: "%=" },
  { op: AluOp.Mod, name: "smod", text: "s%=", signed: true },
  { op: AluOp.Xor, name: "xor", text: "^=" },
  { op: AluOp.Mov, name: "mov", text: "=" },
  { op: AluOp.Arsh, name: "arsh", text: "s>>=" },
];

const JMP_OPS: readonly { op: JmpOp; name: string; text: string }[] = [
  { op: JmpOp.Jeq, name: "jeq", text: "==" },
  { op: JmpOp.Jgt, name: "jgt", text: ">" },
  { op: JmpOp.Jge, name: "jge", text: ">=" },
  { op: JmpOp.Jset, name: "jset", text: "&" },
  { op: JmpOp.Jne, name: "jne", text: "!=" },
  { op: JmpOp.Jsgt, name: "jsgt", text: "s>" },
  { op: JmpOp.Jsge, name: "jsge", text: "s>=" },
  { op: JmpOp.Jlt, name: "jlt", text: "<" },
  { op: JmpOp.Jle, name: "jle", text: "<=" },
  { op: JmpOp.Jslt, name: "jslt", text: "s<" },
  { op: JmpOp.Jsle, name: "jsle", text: "s<=" },
];

const SIZES: readonly { size: Size; bits: 8 | 16 | 32 | 64 }[] = [
  { size: Size.B, bits: 8 },
  { size: Size.H, bits: 16 },
  { size: Size.W, bits: 32 },
  { size: Size.DW, bits: 64 },
];

const ATOMIC_ALU: readonly { op: AtomicOp; name: string; text: string }[] = [
  { op: AtomicOp.Add, name: "add", text: "+=" },
  { op: AtomicOp.Or, name: "or", text: "|=" },
  { op: AtomicOp.And, name: "and", text: "&=" },
  { op: AtomicOp.Xor, name: "xor", text: "^=" },
];

function buildForms(): InstructionForm[] {
  const forms: InstructionForm[] = [];
  const add = (f: InstructionForm) => forms.push(f);

  // Arithmetic, in both widths: the register prefix is w for ALU, r for ALU64.
  for (const cls of [Class.Alu, Class.Alu64]) {
    const wide = cls === Class.Alu64;
    const w = wide ? 64 : 32;
    const R = wide ? "r" : "w";
    const base: ConformanceGroup = wide ? "base64" : "base32";
    const divmul: ConformanceGroup = wide ? "divmul64" : "divmul32";
    for (const { op, name, text, signed } of ALU_OPS) {
      const group = op === AluOp.Mul || op === AluOp.Div || op === AluOp.Mod ? divmul : base;
      const family = op === AluOp.Mov ? "BPF_MOV" : "BPF_ALU";
      const dst: RegisterRole = op === AluOp.Mov ? "write" : "readwrite";
      const select = { off: signed ? 1 : 0 };
      add({
        id: `${name}${w}_imm`, opcode: cls | Source.K | op, select, dst, imm: true, group, family,
        llvm: `${R}{dst} ${text} {imm}`, kernel: `${R}{dst} ${text} {imm}`,
      });
      add({
        id: `${name}${w}_reg`, opcode: cls | Source.X | op, select, dst, src: "read", group, family,
        llvm: `${R}{dst} ${text} ${R}{src}`, kernel: `${R}{dst} ${text} ${R}{src}`,
      });
    }
    // Sign-extending moves (cpu v4): ALU64 from 8, 16 or 32 bits, ALU from 8 or 16.
    for (const bits of wide ? [8, 16, 32] : [8, 16]) {
      add({
        id: `movsx${w}_${bits}`, opcode: cls | Source.X | AluOp.Mov, select: { off: bits }, dst: "write", src: "read",
        group: base, family: "BPF_MOV",
        llvm: `${R}{dst} = (s${bits})${R}{src}`, kernel: `${R}{dst} = (s${bits})${R}{src}`,
      });
    }
    add({
      id: `neg${w}`, opcode: cls | Source.K | AluOp.Neg, select: {}, dst: "readwrite", group: base, family: "BPF_NEG",
      llvm: `${R}{dst} = -${R}{dst}`, kernel: `${R}{dst} = -${R}{dst}`,
    });
    // Byte swaps: ALU has to_le (K) and to_be (X); ALU64 has the unconditional bswap.
    for (const bits of [16, 32, 64]) {
      const group: ConformanceGroup = bits === 64 ? "base64" : "base32";
      if (wide) {
        add({
          id: `bswap${bits}`, opcode: cls | Source.K | AluOp.End, select: { imm: bits }, dst: "readwrite", group,
          family: "BPF_END", llvm: `r{dst} = bswap${bits} r{dst}`, kernel: `r{dst} = bswap${bits} r{dst}`,
        });
      } else {
        for (const [src, order] of [[Source.K, "le"], [Source.X, "be"]] as const) {
          add({
            id: `${order}${bits}`, opcode: cls | src | AluOp.End, select: { imm: bits }, dst: "readwrite", group,
            family: "BPF_END", llvm: `r{dst} = ${order}${bits} r{dst}`, kernel: `r{dst} = ${order}${bits} r{dst}`,
          });
        }
      }
    }
  }
  add({
    id: "addr_space_cast", opcode: Class.Alu64 | Source.X | AluOp.Mov, select: { off: 1 }, dst: "write", src: "read",
    imm: true, group: "kernel", family: "BPF_MOV",
    llvm: "r{dst} = addr_space_cast(r{src}, {asdst}, {assrc})", kernel: "r{dst} = addr_space_cast(r{src}, {asdst}, {assrc})",
  });

  // Jumps. JMP compares 64-bit registers, JMP32 their low halves.
  add({ id: "ja", opcode: Class.Jmp | JmpOp.Ja, select: {}, off: true, group: "base32", family: "BPF_JA",
    llvm: "goto {target}", kernel: "goto {target}" });
  add({ id: "gotol", opcode: Class.Jmp32 | JmpOp.Ja, select: {}, imm: true, group: "base32", family: "BPF_JA",
    llvm: "gotol {ltarget}", kernel: "gotol {ltarget}" });
  for (const cls of [Class.Jmp, Class.Jmp32]) {
    const R = cls === Class.Jmp ? "r" : "w";
    const group: ConformanceGroup = cls === Class.Jmp ? "base64" : "base32";
    const w = cls === Class.Jmp ? "" : "32";
    for (const { op, name, text } of JMP_OPS) {
      add({ id: `${name}${w}_imm`, opcode: cls | Source.K | op, select: {}, dst: "read", off: true, imm: true, group,
        family: "BPF_JMP/JMP32", llvm: `if ${R}{dst} ${text} {imm} goto {target}`, kernel: `if ${R}{dst} ${text} {ximm} goto {target}` });
      add({ id: `${name}${w}_reg`, opcode: cls | Source.X | op, select: {}, dst: "read", src: "read", off: true, group,
        family: "BPF_JMP/JMP32", llvm: `if ${R}{dst} ${text} ${R}{src} goto {target}`, kernel: `if ${R}{dst} ${text} ${R}{src} goto {target}` });
    }
  }
  const call = Class.Jmp | JmpOp.Call;
  add({ id: "call", opcode: call, select: { src: PseudoCall.Helper }, imm: true, group: "base32", family: "BPF_CALL",
    llvm: "call {imm}", kernel: "call {helper}" });
  add({ id: "call_local", opcode: call, select: { src: PseudoCall.Local }, imm: true, group: "base32", family: "BPF_CALL",
    llvm: "call {imm}", kernel: "call {ltarget}" });
  add({ id: "call_kfunc", opcode: call, select: { src: PseudoCall.Kfunc }, imm: true, off: true, group: "base32",
    family: "BPF_CALL", llvm: "call {imm}", kernel: "call kernel-function#{imm}" });
  add({ id: "exit", opcode: Class.Jmp | JmpOp.Exit, select: {}, group: "base32", family: "BPF_EXIT",
    llvm: "exit", kernel: "exit" });
  add({ id: "may_goto", opcode: Class.Jmp | JmpOp.Jcond, select: { src: 0 }, off: true, group: "kernel",
    family: "may_goto", llvm: "may_goto {target}", kernel: "may_goto {target}" });

  // The 64-bit immediate load, by what its immediate stands for.
  const lddw = Class.Ld | Mode.Imm | Size.DW;
  add({ id: "lddw", opcode: lddw, select: { src: PseudoLd.Imm }, dst: "write", imm: true, group: "base64",
    family: "BPF_LD_IMM64", llvm: "r{dst} = {imm64} ll", kernel: "r{dst} = {imm64}" });
  const pseudo: readonly [PseudoLd, string, string][] = [
    [PseudoLd.MapFd, "lddw_map_fd", "map[id:{uimm}]"],
    [PseudoLd.MapValue, "lddw_map_value", "map[id:{uimm}][0]+{next}"],
    [PseudoLd.BtfId, "lddw_btf_id", "btf_id[{uimm}][{next}]"],
    [PseudoLd.Func, "lddw_func", "subprog[{simm}]"],
    [PseudoLd.MapIdx, "lddw_map_idx", "map[idx:{uimm}]"],
    [PseudoLd.MapIdxValue, "lddw_map_idx_value", "map[idx:{uimm}]+{next}"],
  ];
  for (const [src, id, text] of pseudo) {
    add({ id, opcode: lddw, select: { src }, dst: "write", imm: true, group: "base64", family: "BPF_LD_IMM64",
      llvm: `ld_pseudo\tr{dst}, 0x${src.toString(16)}, {ximm}`, kernel: `r{dst} = ${text}` });
  }

  for (const { size, bits } of SIZES) {
    const group: ConformanceGroup = bits === 64 ? "base64" : "base32";
    const u = `u${bits}`;
    if (bits !== 64) {
      add({ id: `ldabs${bits}`, opcode: Class.Ld | Mode.Abs | size, select: {}, imm: true, writesR0: true, group: "packet",
        family: "BPF_LD_[ABS|IND]", llvm: `r0 = *(${u} *)skb[{imm}]`, kernel: `r0 = *(${u} *)skb[{imm}]` });
      add({ id: `ldind${bits}`, opcode: Class.Ld | Mode.Ind | size, select: {}, src: "read", imm: true, writesR0: true,
        group: "packet", family: "BPF_LD_[ABS|IND]", llvm: `r0 = *(${u} *)skb[r{src}]`, kernel: `r0 = *(${u} *)skb[r{src} + {imm}]` });
      add({ id: `ldxs${bits}`, opcode: Class.Ldx | Mode.Memsx | size, select: {}, dst: "write", src: "base", off: true,
        group: "base64", family: "BPF_LDX", llvm: `r{dst} = *(s${bits} *)(r{src}{off})`, kernel: `r{dst} = *(s${bits} *)(r{src}{off})` });
    }
    add({ id: `ldx${bits}`, opcode: Class.Ldx | Mode.Mem | size, select: {}, dst: "write", src: "base", off: true, group,
      family: "BPF_LDX", llvm: `r{dst} = *(${u} *)(r{src}{off})`, kernel: `r{dst} = *(${u} *)(r{src}{off})`,
      aliases: bits === 64 ? [] : [`w{dst} = *(${u} *)(r{src}{off})`] });
    add({ id: `st${bits}`, opcode: Class.St | Mode.Mem | size, select: {}, dst: "base", off: true, imm: true, group,
      family: "BPF_ST", llvm: `*(${u} *)(r{dst}{off}) = {imm}`, kernel: `*(${u} *)(r{dst}{off}) = {imm}` });
    add({ id: `stx${bits}`, opcode: Class.Stx | Mode.Mem | size, select: {}, dst: "base", src: "read", off: true, group,
      family: "BPF_STX", llvm: `*(${u} *)(r{dst}{off}) = r{src}`, kernel: `*(${u} *)(r{dst}{off}) = r{src}`,
      aliases: bits === 64 ? [] : [`*(${u} *)(r{dst}{off}) = w{src}`] });

    // Load-acquire and store-release (kernel 6.15) exist for every size.
    const atomic = Class.Stx | Mode.Atomic | size;
    const R = bits === 64 ? "r" : "w";
    add({ id: `load_acquire${bits}`, opcode: atomic, select: { imm: AtomicOp.LoadAcquire }, dst: "write", src: "base",
      off: true, group: "kernel", family: "BPF_ATOMIC",
      llvm: `${R}{dst} = load_acquire((${u} *)(r{src}{off}))`, kernel: `r{dst} = load_acquire((${u} *)(r{src}{off}))` });
    add({ id: `store_release${bits}`, opcode: atomic, select: { imm: AtomicOp.StoreRelease }, dst: "base", src: "read",
      off: true, group: "kernel", family: "BPF_ATOMIC",
      llvm: `store_release((${u} *)(r{dst}{off}), ${R}{src})`, kernel: `store_release((${u} *)(r{dst}{off}), r{src})` });
    if (bits < 32) continue;

    // Read-modify-write atomics, on 32 and 64 bits.
    const group_: ConformanceGroup = bits === 64 ? "atomic64" : "atomic32";
    const k = bits === 64 ? "64" : "";
    const l = bits === 64 ? "_64" : "32_32";
    for (const { op, name, text } of ATOMIC_ALU) {
      // llvm-objdump-19 prints the 32-bit add with an r register and the others with w.
      const plain = bits === 32 && op === AtomicOp.Add ? "r" : R;
      add({ id: `atomic_${name}${bits}`, opcode: atomic, select: { imm: op }, dst: "base", src: "read", off: true,
        group: group_, family: "BPF_ATOMIC",
        llvm: `lock *(${u} *)(r{dst}{off}) ${text} ${plain}{src}`, kernel: `lock *(${u} *)(r{dst}{off}) ${text} r{src}`,
        aliases: bits === 32 ? [`lock *(${u} *)(r{dst}{off}) ${text} ${plain === "r" ? "w" : "r"}{src}`] : [] });
      add({ id: `atomic_fetch_${name}${bits}`, opcode: atomic, select: { imm: op | AtomicOp.Fetch }, dst: "base",
        src: "readwrite", off: true, group: group_, family: "BPF_ATOMIC",
        llvm: `${R}{src} = atomic_fetch_${name}((${u} *)(r{dst}{off}), ${R}{src})`,
        kernel: `r{src} = atomic${k}_fetch_${name}((${u} *)(r{dst}{off}), r{src})` });
    }
    add({ id: `atomic_xchg${bits}`, opcode: atomic, select: { imm: AtomicOp.Xchg }, dst: "base", src: "readwrite",
      off: true, group: group_, family: "BPF_ATOMIC",
      llvm: `${R}{src} = xchg${l}(r{dst}{off}, ${R}{src})`, kernel: `r{src} = atomic${k}_xchg((${u} *)(r{dst}{off}), r{src})` });
    add({ id: `atomic_cmpxchg${bits}`, opcode: atomic, select: { imm: AtomicOp.Cmpxchg }, dst: "base", src: "read",
      off: true, writesR0: true, group: group_, family: "BPF_ATOMIC",
      llvm: `${R}0 = cmpxchg${l}(r{dst}{off}, ${R}0, ${R}{src})`,
      kernel: `r0 = atomic${k}_cmpxchg((${u} *)(r{dst}{off}), r0, r{src})` });
  }
  return forms;
}

/** Every instruction form, in a stable order. */
export const FORMS: readonly InstructionForm[] = buildForms();

/** The forms of each opcode byte; an empty list means the opcode is not defined. */
export const FORMS_BY_OPCODE: readonly (readonly InstructionForm[])[] = (() => {
  const table: InstructionForm[][] = Array.from({ length: 256 }, () => []);
  for (const f of FORMS) table[f.opcode]!.push(f);
  return table;
})();

/** Finds the form of an instruction by its opcode and selecting fields, if any. */
export function formOf(i: { opcode: number; src: number; off: number; imm: number }): InstructionForm | undefined {
  for (const f of FORMS_BY_OPCODE[i.opcode & 0xff] ?? []) {
    const s = f.select;
    if ((s.src === undefined || s.src === i.src) && (s.off === undefined || s.off === i.off) && (s.imm === undefined || s.imm === i.imm)) {
      return f;
    }
  }
  return undefined;
}

/** The form with this id; throws for an unknown id (a programming error). */
export function formById(id: string): InstructionForm {
  const f = FORMS.find((x) => x.id === id);
  if (!f) throw new Error(`no instruction form ${id}`);
  return f;
}
