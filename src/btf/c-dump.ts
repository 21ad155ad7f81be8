/**
 * @fileoverview BTF as compilable C, byte for byte what `bpftool btf dump file X format c`
 * prints (libbpf's btf_dump): types in dependency order, a forward declaration where a
 * pointer allows one, anonymous types inline, duplicate names suffixed `___N`, padding
 * made explicit with `long: 64;`-style fields, `__attribute__((packed))` when the layout
 * needs it.
 */

import { BtfError } from "./errors.js";
import type { BtfModifier } from "./parse.js";
import type { Btf, BtfType } from "./types.js";

export { dumpRaw } from "./raw-dump.js";

const enum Order { NotOrdered, Ordering, Ordered }
const enum Emit { NotEmitted, Emitting, Emitted }

/** Pointer size, as libbpf guesses it for BPF and x86-64 BTF alike. */
const PTR_SIZE = 8;
const MAX_INDENT = 13;
const MAX_OUTPUT = 1 << 28;
/** Padding beyond this many bits is not from a compiler; refuse it rather than print it. */
const MAX_PADDING_BITS = 1 << 24;
const pfx = (lvl: number): string => "\t".repeat(Math.min(lvl, MAX_INDENT));

/** libbpf's btf__align_of: natural alignment, 1 for a struct whose layout shows it packed. */
export function alignOf(btf: Btf, id: number): number {
  for (let steps = 0; steps <= btf.types.length; steps++) {
    const t = btf.type(id);
    switch (t.kind) {
      case "int": case "enum": case "float":
        return Math.min(PTR_SIZE, t.size);
      case "ptr":
        return PTR_SIZE;
      case "typedef": case "volatile": case "const": case "restrict": case "type_tag":
        id = t.type;
        continue;
      case "array":
        id = t.type;
        continue;
      case "struct": case "union": {
        let max = 1;
        for (const m of t.members) {
          const a = alignOf(btf, m.type);
          if (a <= 0) return a;
          max = Math.max(max, a);
          if (m.bitSize === 0 && m.bitOffset % (8 * a) !== 0) return 1;
        }
        return t.size % max !== 0 ? 1 : max;
      }
      default:
        return 0;
    }
  }
  throw new BtfError(`type [${id}]: type references loop`, { typeId: id });
}

/** libbpf's btf__resolve_size, or -1 where it fails. */
function resolveSize(btf: Btf, id: number): number {
  try {
    return btf.sizeof(id);
  } catch {
    return -1;
  }
}

function isStructPacked(btf: Btf, t: Extract<BtfType, { kind: "struct" | "union" }>): boolean {
  let max = 1;
  for (const m of t.members) {
    const a = alignOf(btf, m.type);
    if (a && m.bitSize === 0 && m.bitOffset % (8 * a) !== 0) return true;
    max = Math.max(a, max);
  }
  return t.size % max !== 0;
}

interface DeclStack { ids: number[]; cnt: number }

class CDumper {
  private readonly out: string[] = [];
  private readonly order: Uint8Array;
  private readonly emit: Uint8Array;
  private readonly fwdEmitted: Uint8Array;
  private readonly referenced: Uint8Array;
  private readonly nameResolved: Uint8Array;
  private readonly cachedNames = new Map<number, string>();
  private readonly typeNames = new Map<string, number>();
  private readonly identNames = new Map<string, number>();
  private queue: number[] = [];

  constructor(private readonly btf: Btf) {
    const n = btf.types.length;
    this.order = new Uint8Array(n);
    this.emit = new Uint8Array(n);
    this.fwdEmitted = new Uint8Array(n);
    this.referenced = new Uint8Array(n);
    this.nameResolved = new Uint8Array(n);
    this.order[0] = Order.Ordered;
    this.emit[0] = Emit.Emitted;
    for (const t of btf.types) this.markReferenced(t);
  }

  private length = 0;

  private p(s: string): void {
    this.length += s.length;
    // Hostile sizes (a 4 GB struct of padding) would print without end; real BTF stays far below.
    if (this.length > MAX_OUTPUT) throw new BtfError(`c output would exceed ${MAX_OUTPUT} characters`);
    this.out.push(s);
  }

  text(): string {
    return this.out.join("");
  }

  /** btf_dump__dump_type: order the type and what it needs, then emit them. */
  dumpType(id: number): void {
    this.queue = [];
    this.orderType(id, false);
    for (const q of this.queue) this.emitType(q, 0);
  }

  /** Marks types referenced by another, so a top-level anonymous enum can be told apart. */
  private markReferenced(t: BtfType): void {
    const r = this.referenced;
    switch (t.kind) {
      case "volatile": case "const": case "restrict": case "ptr": case "typedef": case "func": case "var": case "decl_tag": case "type_tag":
        r[t.type] = 1;
        break;
      case "array":
        r[t.indexType] = 1;
        r[t.type] = 1;
        break;
      case "struct": case "union":
        for (const m of t.members) r[m.type] = 1;
        break;
      case "func_proto":
        for (const p of t.params) r[p.type] = 1;
        break;
      case "datasec":
        for (const v of t.vars) r[v.type] = 1;
        break;
    }
  }

  /**
   * Topological sort with C's rules: 1 when the link to `id` is strong (its definition
   * must come first), 0 when a forward declaration will do (reached through a pointer).
   */
  private orderType(id: number, throughPtr: boolean): number {
    if (this.order[id] === Order.Ordered) return 1;
    const t = this.btf.type(id);
    if (this.order[id] === Order.Ordering) {
      if ((t.kind === "struct" || t.kind === "union") && throughPtr && t.name !== "") return 0;
      throw new BtfError(`type [${id}]: unsatisfiable type cycle`, { typeId: id });
    }
    switch (t.kind) {
      case "int": case "float":
        this.order[id] = Order.Ordered;
        return 0;
      case "ptr": {
        const r = this.orderType(t.type, true);
        this.order[id] = Order.Ordered;
        return r;
      }
      case "array":
        return this.orderType(t.type, false);
      case "struct": case "union":
        // Strong only when embedded, or anonymous (defined inline even behind a pointer).
        if (throughPtr && t.name !== "") return 0;
        this.order[id] = Order.Ordering;
        for (const m of t.members) this.orderType(m.type, false);
        if (t.name !== "") this.queue.push(id);
        this.order[id] = Order.Ordered;
        return 1;
      case "enum": case "fwd":
        if (t.name !== "" || !this.referenced[id]) this.queue.push(id);
        this.order[id] = Order.Ordered;
        return 1;
      case "typedef": {
        const strong = this.orderType(t.type, throughPtr);
        if (throughPtr && !strong) return 0;
        this.queue.push(id);
        this.order[id] = Order.Ordered;
        return 1;
      }
      case "volatile": case "const": case "restrict": case "type_tag":
        return this.orderType(t.type, throughPtr);
      case "func_proto": {
        let strong = this.orderType(t.returnType, throughPtr) > 0;
        for (const p of t.params) if (this.orderType(p.type, throughPtr) > 0) strong = true;
        return strong ? 1 : 0;
      }
      case "func": case "var": case "datasec": case "decl_tag":
        this.order[id] = Order.Ordered;
        return 0;
      case "void":
        return 1;
    }
  }

  private isBlacklisted(id: number): boolean {
    return this.btf.type(id).name === "__builtin_va_list";
  }

  /** btf_dump_emit_type: `contId` is the struct being defined, 0 at the top level. */
  private emitType(id: number, contId: number): void {
    if (this.emit[id] === Emit.Emitted) return;
    const t = this.btf.type(id);
    const topLevel = contId === 0;
    if (this.emit[id] === Emit.Emitting) {
      if (this.fwdEmitted[id]) return;
      if (t.kind === "struct" || t.kind === "union") {
        if (id === contId) return;
        if (t.name === "") return; // an anonymous struct/union loop: nothing sensible to print
        this.emitStructFwd(id, t);
        this.p(";\n\n");
        this.fwdEmitted[id] = 1;
      } else if (t.kind === "typedef") {
        // A typedef reached again through a pointer: its definition doubles as a forward one.
        if (!this.isBlacklisted(id)) {
          this.emitTypedefDef(id, t, 0);
          this.p(";\n\n");
        }
        this.fwdEmitted[id] = 1;
      }
      return;
    }
    switch (t.kind) {
      case "int":
        this.emitMissingAliases(id);
        this.emit[id] = Emit.Emitted;
        break;
      case "enum":
        if (topLevel) {
          this.emitEnumDef(id, t, 0);
          this.p(";\n\n");
        }
        this.emit[id] = Emit.Emitted;
        break;
      case "ptr": case "volatile": case "const": case "restrict": case "type_tag":
        this.emitType(t.type, contId);
        break;
      case "array":
        this.emitType(t.type, contId);
        break;
      case "fwd":
        this.emitFwdDef(id, t);
        this.p(";\n\n");
        this.emit[id] = Emit.Emitted;
        break;
      case "typedef":
        this.emit[id] = Emit.Emitting;
        this.emitType(t.type, id);
        if (!this.fwdEmitted[id] && !this.isBlacklisted(id)) {
          this.emitTypedefDef(id, t, 0);
          this.p(";\n\n");
        }
        this.emit[id] = Emit.Emitted;
        break;
      case "struct": case "union":
        this.emit[id] = Emit.Emitting;
        if (topLevel || t.name === "") {
          const newCont = t.name === "" ? contId : id;
          for (const m of t.members) this.emitType(m.type, newCont);
        } else if (!this.fwdEmitted[id] && id !== contId) {
          this.emitStructFwd(id, t);
          this.p(";\n\n");
          this.fwdEmitted[id] = 1;
        }
        if (topLevel) {
          this.emitStructDef(id, t, 0);
          this.p(";\n\n");
          this.emit[id] = Emit.Emitted;
        } else {
          this.emit[id] = Emit.NotEmitted;
        }
        break;
      case "func_proto":
        this.emitType(t.returnType, contId);
        for (const p of t.params) this.emitType(p.type, contId);
        break;
      default:
        break;
    }
  }

  /** GCC's Arm SIMD typedefs point at types BTF lacks; alias them to standard ones. */
  private emitMissingAliases(id: number): void {
    const name = this.typeName(id);
    const alias = MISSING_BASE_TYPES[name];
    if (alias) this.p(`typedef ${alias} ${name};\n\n`);
  }

  /** Explicit padding from bit `cur` to bit `next`, as few and as natural fields as can do it. */
  private emitBitPadding(cur: number, next: number, nextAlign: number, inBitfield: boolean, lvl: number): void {
    if (cur >= next) return;
    if (next - cur > MAX_PADDING_BITS) throw new BtfError(`padding of ${(next - cur) / 8} bytes is too large to print`);
    const pads: [string, number][] = [["long", PTR_SIZE * 8], ["int", 32], ["short", 16], ["char", 8]];
    let newOff = 0;
    let padBits = 0;
    let padType = "";
    for (const [name, bits] of pads) {
      padBits = bits;
      padType = name;
      newOff = roundUp(cur, bits);
      if (newOff <= next) break;
    }
    if (newOff > cur && newOff <= next) {
      // A `type: 0` mark is needed when the compiler would not align to newOff by itself.
      if (inBitfield || (newOff === next && roundUp(cur, nextAlign * 8) !== newOff) || (newOff !== next && next - newOff <= newOff - cur)) {
        this.p(`\n${pfx(lvl)}${padType}: ${inBitfield ? newOff - cur : 0};`);
      }
      cur = newOff;
    }
    while (cur !== next) {
      const bits = Math.min(next - cur, padBits);
      if (bits === padBits) {
        this.p(`\n${pfx(lvl)}${padType}: ${padBits};`);
        cur += bits;
        continue;
      }
      // The remainder gets the smallest type that holds it.
      for (let i = pads.length - 1; i >= 0; i--) {
        const [name, size] = pads[i]!;
        padType = name;
        padBits = size;
        if (size < bits) continue;
        this.p(`\n${pfx(lvl)}${name}: ${bits};`);
        cur += bits;
        break;
      }
    }
  }

  private emitStructFwd(id: number, t: Extract<BtfType, { kind: "struct" | "union" }>): void {
    this.p(`${t.kind}${t.name ? " " : ""}${this.typeName(id)}`);
  }

  private emitStructDef(id: number, t: Extract<BtfType, { kind: "struct" | "union" }>, lvl: number): void {
    const isStruct = t.kind === "struct";
    const align = alignOf(this.btf, id);
    const packed = isStruct ? isStructPacked(this.btf, t) : false;
    this.p(`${t.kind}${t.name ? " " : ""}${this.typeName(id)} {`);
    let off = 0;
    let prevBitfield = false;
    for (const m of t.members) {
      const mAlign = packed ? 1 : alignOf(this.btf, m.type);
      const inBitfield = prevBitfield && m.bitSize !== 0;
      this.emitBitPadding(off, m.bitOffset, mAlign, inBitfield, lvl + 1);
      this.p(`\n${pfx(lvl + 1)}`);
      this.emitTypeDecl(m.type, m.name, lvl + 1);
      if (m.bitSize) {
        this.p(`: ${m.bitSize}`);
        off = m.bitOffset + m.bitSize;
        prevBitfield = true;
      } else {
        off = m.bitOffset + Math.max(0, resolveSize(this.btf, m.type)) * 8;
        prevBitfield = false;
      }
      this.p(";");
    }
    if (isStruct) this.emitBitPadding(off, t.size * 8, align, false, lvl + 1);
    if (t.members.length || t.size) this.p(`\n${pfx(lvl)}}`);
    else this.p("}");
    if (packed) this.p(" __attribute__((packed))");
  }

  private emitEnumDef(id: number, t: Extract<BtfType, { kind: "enum" }>, lvl: number): void {
    this.p(`enum${t.name ? " " : ""}${this.typeName(id)}`);
    if (!t.values.length) return;
    this.p(" {");
    const suffix = t.enum64 ? (t.signed ? "LL" : "ULL") : "";
    for (const v of t.values) {
      // Enumerators share the namespace of typedef names.
      const dups = this.nameDups(this.identNames, v.name);
      this.p(`\n${pfx(lvl + 1)}${v.name}${dups > 1 ? `___${dups}` : ""} = ${v.value}${suffix},`);
    }
    this.p(`\n${pfx(lvl)}}`);
    // libbpf 1.1 (bpftool 7.1) marks only 8-byte enums; later ones add mode(byte) for 1 byte.
    if (t.size === 8) {
      // An enum is 8 bytes by itself only if a value needs the upper 32 bits.
      const needsWord = !t.enum64 || !t.values.some((v) => BigInt.asUintN(64, v.value) >> 32n !== 0n);
      if (needsWord) this.p(" __attribute__((mode(word)))");
    }
  }

  private emitFwdDef(id: number, t: Extract<BtfType, { kind: "fwd" }>): void {
    this.p(`${t.union ? "union" : "struct"} ${this.typeName(id)}`);
  }

  private emitTypedefDef(id: number, t: BtfModifier, lvl: number): void {
    const name = this.identName(id);
    // Old GCC emits __gnuc_va_list as a typedef of void.
    if (t.type === 0 && name === "__gnuc_va_list") {
      this.p("typedef __builtin_va_list __gnuc_va_list");
      return;
    }
    this.p("typedef ");
    this.emitTypeDecl(t.type, name, lvl);
  }

  /** A declaration of `fname` with type `id`, in C's inside-out syntax. */
  private emitTypeDecl(id: number, fname: string, lvl: number): void {
    const ids: number[] = [];
    for (let steps = 0; ; steps++) {
      if (steps > this.btf.types.length) throw new BtfError(`type [${id}]: type references loop`, { typeId: id });
      const t = this.btf.type(id);
      ids.push(id);
      if (id === 0) break;
      if (t.kind === "ptr" || t.kind === "volatile" || t.kind === "const" || t.kind === "restrict" || t.kind === "type_tag") id = t.type;
      else if (t.kind === "func_proto") id = t.returnType;
      else if (t.kind === "array") id = t.type;
      else break;
    }
    this.emitTypeChain({ ids, cnt: ids.length }, fname, lvl);
  }

  private emitMods(d: DeclStack): void {
    while (d.cnt) {
      const t = this.btf.type(d.ids[d.cnt - 1]!);
      if (t.kind === "volatile" || t.kind === "const" || t.kind === "restrict") this.p(`${t.kind} `);
      else return;
      d.cnt--;
    }
  }

  private dropMods(d: DeclStack): void {
    while (d.cnt) {
      const k = this.btf.type(d.ids[d.cnt - 1]!).kind;
      if (k !== "volatile" && k !== "const" && k !== "restrict" && k !== "type_tag") return;
      d.cnt--;
    }
  }

  private emitName(name: string, lastWasPtr: boolean): void {
    this.p(`${name && !lastWasPtr ? " " : ""}${name}`);
  }

  private emitTypeChain(d: DeclStack, fname: string, lvl: number): void {
    let lastWasPtr = true;
    while (d.cnt) {
      const id = d.ids[--d.cnt]!;
      if (id === 0) {
        this.emitMods(d);
        this.p("void");
        lastWasPtr = false;
        continue;
      }
      const t = this.btf.type(id);
      switch (t.kind) {
        case "int": case "float":
          this.emitMods(d);
          this.p(t.name);
          break;
        case "struct": case "union":
          this.emitMods(d);
          if (t.name === "") this.emitStructDef(id, t, lvl);
          else this.emitStructFwd(id, t);
          break;
        case "enum":
          this.emitMods(d);
          if (t.name === "") this.emitEnumDef(id, t, lvl);
          else this.p(`enum ${this.typeName(id)}`);
          break;
        case "fwd":
          this.emitMods(d);
          this.emitFwdDef(id, t);
          break;
        case "typedef":
          this.emitMods(d);
          this.p(this.identName(id));
          break;
        case "ptr":
          this.p(lastWasPtr ? "*" : " *");
          break;
        case "volatile": case "const": case "restrict":
          this.p(` ${t.kind}`);
          break;
        case "type_tag":
          this.emitMods(d);
          this.p(` __attribute__((btf_type_tag("${t.name}")))`);
          break;
        case "array": {
          // Qualifiers on an array itself (a GCC quirk) mean nothing: drop them.
          this.dropMods(d);
          if (d.cnt === 0) {
            this.emitName(fname, lastWasPtr);
            this.p(`[${t.nelems}]`);
            return;
          }
          const multidim = this.btf.type(d.ids[d.cnt - 1]!).kind === "array";
          if (fname && !lastWasPtr) this.p(" ");
          if (!multidim) this.p("(");
          this.emitTypeChain(d, fname, lvl);
          if (!multidim) this.p(")");
          this.p(`[${t.nelems}]`);
          return;
        }
        case "func_proto": {
          this.dropMods(d);
          if (d.cnt) {
            this.p(" (");
            this.emitTypeChain(d, fname, lvl);
            this.p(")");
          } else {
            this.emitName(fname, lastWasPtr);
          }
          this.p("(");
          const ps = t.params;
          // clang writes `f(void)` as one void parameter.
          if (ps.length === 0 || (ps.length === 1 && ps[0]!.type === 0)) {
            this.p("void)");
            return;
          }
          for (let i = 0; i < ps.length; i++) {
            if (i > 0) this.p(", ");
            if (i === ps.length - 1 && ps[i]!.type === 0) {
              this.p("...");
              break;
            }
            this.emitTypeDecl(ps[i]!.type, ps[i]!.name, lvl);
          }
          this.p(")");
          return;
        }
        default:
          return;
      }
      lastWasPtr = t.kind === "ptr";
    }
    this.emitName(fname, lastWasPtr);
  }

  private nameDups(map: Map<string, number>, name: string): number {
    const n = (map.get(name) ?? 0) + 1;
    map.set(name, n);
    return n;
  }

  /** A unique name, given on first use: the second `struct foo` becomes `foo___2`. */
  private resolveName(id: number, map: Map<string, number>): string {
    const t = this.btf.type(id);
    if (t.name === "") return "";
    if (this.nameResolved[id]) return this.cachedNames.get(id) ?? t.name;
    this.nameResolved[id] = 1;
    if (t.kind === "fwd" || (t.kind === "enum" && t.values.length === 0)) return t.name;
    const dups = this.nameDups(map, t.name);
    if (dups > 1) {
      const name = `${t.name}___${dups}`;
      this.cachedNames.set(id, name);
      return name;
    }
    return t.name;
  }

  private typeName(id: number): string {
    return this.resolveName(id, this.typeNames);
  }

  private identName(id: number): string {
    return this.resolveName(id, this.identNames);
  }
}

const MISSING_BASE_TYPES: Record<string, string> = {
  __Poly8_t: "unsigned char",
  __Poly16_t: "unsigned short",
  __Poly64_t: "unsigned long long",
  __Poly128_t: "unsigned __int128",
};

const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

const HEADER = `#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

`;
const FOOTER = `#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
`;

/** The C declarations of these types (all, by default) and what they depend on, without bpftool's header. */
export function dumpCTypes(btf: Btf, ids?: readonly number[]): string {
  const d = new CDumper(btf);
  try {
    if (ids) for (const id of ids) d.dumpType(id);
    else for (let id = 1; id < btf.types.length; id++) d.dumpType(id);
  } catch (e) {
    // A reference chain deep enough to exhaust the stack is hostile input, not a bug.
    if (e instanceof RangeError) throw new BtfError(`type graph too deep to print as c`, { cause: e });
    throw e;
  }
  return d.text();
}

/** What `bpftool btf dump file X format c` prints. */
export function dumpC(btf: Btf): string {
  return HEADER + dumpCTypes(btf) + FOOTER;
}
