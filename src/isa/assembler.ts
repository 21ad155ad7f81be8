/**
 * @fileoverview The assembler: reads either syntax (LLVM's or the kernel's, mixed
 * freely), with labels, comments and symbolic references, by matching each line against
 * the same table templates the disassembler prints from, so the two always agree.
 */

import { AssemblerError } from "../errors.js";
import { helperId } from "../helpers/names.js";
import { insn, type Instruction, slotsOf } from "./instruction.js";
import { FORMS, formById, type InstructionForm } from "./table.js";

/** A symbol an instruction refers to, for a loader to resolve (a relocation). */
export interface SymbolReference {
  /** Index into `instructions`. */
  readonly index: number;
  /** `map`: `r1 = map[NAME]`; `symbol`: `r1 = NAME ll`; `call`: a call to an undefined function. */
  readonly kind: "map" | "symbol" | "call";
  readonly name: string;
}

export interface AssembledProgram {
  readonly instructions: Instruction[];
  /** Label name to slot index. */
  readonly labels: ReadonlyMap<string, number>;
  readonly references: readonly SymbolReference[];
}

type Token = { kind: "ident" | "num" | "op"; text: string; col: number };

// Longest first, so `s>>=` wins over `s>` and `<<=` over `<`.
const OPERATORS = ["s>>=", "s>=", "s<=", "s/=", "s%=", "<<=", ">>=", "s>", "s<", "+=", "-=", "*=", "/=", "|=", "&=", "^=", "%=", "==", "!=", ">=", "<=", ">", "<", "=", "&", "(", ")", "[", "]", "*", ",", "+", "-", ":", "#"];

function tokenize(text: string, line: number, source?: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t") { i++; continue; }
    const op = OPERATORS.find((o) => text.startsWith(o, i) && !(o[0] === "s" && o.length > 1 && /[A-Za-z0-9_]/.test(text[i - 1] ?? "")));
    if (op && !(op[0] === "s" && /[A-Za-z0-9_]/.test(text[i + 1] ?? "") )) {
      tokens.push({ kind: "op", text: op, col: i + 1 });
      i += op.length;
      continue;
    }
    const num = /^(0x[0-9a-fA-F]+|[0-9]+)/.exec(text.slice(i));
    if (num) { tokens.push({ kind: "num", text: num[0], col: i + 1 }); i += num[0].length; continue; }
    const id = /^[A-Za-z_.][A-Za-z0-9_.$]*/.exec(text.slice(i));
    if (id) { tokens.push({ kind: "ident", text: id[0], col: i + 1 }); i += id[0].length; continue; }
    throw new AssemblerError(line, i + 1, `unexpected character '${c}'`, source);
  }
  return tokens;
}

/** A template compiled to tokens: literal text, or a typed slot. */
type Piece = { lit: string } | { slot: string; prefix?: "r" | "w" };

function compile(template: string): Piece[] {
  const pieces: Piece[] = [];
  for (const part of template.split(/(\{\w+\})/)) {
    if (!part) continue;
    const slot = /^\{(\w+)\}$/.exec(part);
    if (slot) {
      const last = pieces[pieces.length - 1];
      // `r{dst}` is one register token in the text; merge the prefix into the slot.
      if (last && "lit" in last && /(^|[^A-Za-z0-9_])[rw]$/.test(last.lit) && (slot[1] === "dst" || slot[1] === "src")) {
        const prefix = last.lit.slice(-1) as "r" | "w";
        last.lit = last.lit.slice(0, -1);
        if (!last.lit) pieces.pop();
        pieces.push({ slot: slot[1]!, prefix });
        continue;
      }
      pieces.push({ slot: slot[1]! });
    } else {
      pieces.push({ lit: part });
    }
  }
  // Literal text becomes tokens too, so spacing never matters.
  return pieces.flatMap((p): Piece[] => ("lit" in p ? tokenize(p.lit, 0).map((t) => ({ lit: t.text })) : [p]));
}

interface Pattern { form: InstructionForm; pieces: Piece[]; order: number }

const PATTERNS: readonly Pattern[] = FORMS.flatMap((form) => {
  const texts = [form.llvm, form.kernel, ...(form.aliases ?? [])];
  return [...new Set(texts)].map((t) => ({ form, pieces: compile(t), order: 0 }));
}).map((p, order) => ({ ...p, order }));

/** Patterns by their first literal token; those that open with a slot go under "". */
const PATTERNS_BY_FIRST = (() => {
  const map = new Map<string, Pattern[]>();
  for (const p of PATTERNS) {
    const head = p.pieces[0];
    const key = head && "lit" in head ? head.lit : "";
    map.set(key, [...(map.get(key) ?? []), p]);
  }
  return map;
})();

/** The patterns a line starting with `first` can match, in table order. */
function candidatesFor(first: string): Pattern[] {
  const exact = PATTERNS_BY_FIRST.get(first) ?? [];
  const open = PATTERNS_BY_FIRST.get("") ?? [];
  return exact.length === 0 ? open : [...exact, ...open].sort((a, b) => a.order - b.order);
}

/** What a line's slots captured. */
interface Captured {
  dst?: number; src?: number; off?: number; imm?: number; imm64?: bigint; next?: number;
  label?: { field: "off" | "imm"; name: string }; reference?: { kind: "map" | "symbol"; name: string };
}

class Cursor {
  i = 0;
  constructor(readonly tokens: Token[]) {}
  peek(k = 0): Token | undefined { return this.tokens[this.i + k]; }
  take(): Token | undefined { return this.tokens[this.i++]; }
  done(): boolean { return this.i >= this.tokens.length; }
}

/** A signed number with an optional sign, or undefined (cursor untouched). */
function number(c: Cursor): bigint | undefined {
  const save = c.i;
  let sign = 1n;
  const t = c.peek();
  if (t?.kind === "op" && (t.text === "+" || t.text === "-")) { sign = t.text === "-" ? -1n : 1n; c.take(); }
  const n = c.take();
  if (n?.kind !== "num") { c.i = save; return undefined; }
  return sign * BigInt(n.text);
}

const fits32 = (v: bigint) => v >= -0x80000000n && v <= 0xffffffffn;
const to32 = (v: bigint) => Number(BigInt.asIntN(32, v));

function register(c: Cursor, prefix: string | undefined): number | undefined {
  const t = c.peek();
  const m = t?.kind === "ident" ? /^([rw])(\d+)$/.exec(t.text) : null;
  if (!m || (prefix && m[1] !== prefix)) return undefined;
  const n = Number(m[2]);
  if (n > 10) return undefined;
  c.take();
  return n;
}

const isLabel = (t: Token | undefined) => t?.kind === "ident" && !/^[rw]\d+$/.test(t.text) && t.text !== "pc";

/** Matches one slot; returns false if the text there does not fit it. */
function matchSlot(c: Cursor, slot: string, prefix: "r" | "w" | undefined, got: Captured): boolean {
  switch (slot) {
    case "dst": case "src": {
      const r = register(c, prefix);
      if (r === undefined) return false;
      if (got[slot] !== undefined && got[slot] !== r) return false; // `r1 = -r1` names dst twice
      got[slot] = r;
      return true;
    }
    case "imm": case "ximm": case "uimm": case "simm": {
      const v = number(c);
      if (v === undefined || !fits32(v)) return false;
      got.imm = to32(v);
      return true;
    }
    case "asdst": case "assrc": {
      const v = number(c);
      if (v === undefined || v < 0n || v > 0xffffn) return false;
      got.imm = slot === "asdst" ? ((got.imm ?? 0) & 0xffff) | (Number(v) << 16) : ((got.imm ?? 0) & ~0xffff) | Number(v);
      return true;
    }
    case "off": {
      const v = number(c) ?? 0n; // `(r1)` is `(r1 + 0)`
      if (v < -0x8000n || v > 0x7fffn) return false;
      got.off = Number(v);
      return true;
    }
    case "target": case "ltarget": {
      const field = slot === "target" ? "off" : "imm";
      if (isLabel(c.peek())) { got.label = { field, name: c.take()!.text }; return true; }
      if (c.peek()?.kind === "ident" && c.peek()!.text === "pc") c.take();
      const v = number(c);
      if (v === undefined) return false;
      if (field === "off" ? v < -0x8000n || v > 0x7fffn : !fits32(v)) return false;
      got[field] = to32(v);
      return true;
    }
    case "imm64": {
      if (isLabel(c.peek())) { got.reference = { kind: "symbol", name: c.take()!.text }; got.imm64 = 0n; return true; }
      const v = number(c);
      if (v === undefined || v < -(1n << 63n) || v >= 1n << 64n) return false;
      got.imm64 = BigInt.asUintN(64, v);
      return true;
    }
    case "next": {
      const v = number(c);
      if (v === undefined || !fits32(v)) return false;
      got.next = to32(v);
      return true;
    }
    case "helper": {
      const t = c.peek();
      if (t?.kind === "ident") {
        c.take();
        const named = t.text === "unknown" ? undefined : helperId(t.text);
        if (t.text !== "unknown" && named === undefined) return false;
        let id = named;
        if (c.peek()?.text === "#") {
          c.take();
          const v = number(c);
          if (v === undefined || !fits32(v) || (named !== undefined && Number(v) !== named)) return false;
          id = to32(v);
        }
        if (id === undefined) return false;
        got.imm = id;
        return true;
      }
      return false;
    }
    default:
      throw new Error(`unknown template slot {${slot}}`);
  }
}

function matchPattern(tokens: Token[], p: Pattern): Captured | undefined {
  const c = new Cursor(tokens);
  const got: Captured = {};
  for (const piece of p.pieces) {
    if ("lit" in piece) {
      const t = c.take();
      if (!t || t.text !== piece.lit) return undefined;
    } else if (!matchSlot(c, piece.slot, piece.prefix, got)) {
      return undefined;
    }
  }
  return c.done() ? got : undefined;
}

/** Builds the instruction a form and its captured fields describe. */
function build(form: InstructionForm, got: Captured): Instruction {
  const s = form.select;
  const off = s.off ?? got.off ?? 0;
  const src = s.src ?? got.src ?? 0;
  if (form.opcode === 0x18) {
    let imm64 = got.imm64 ?? BigInt((got.imm ?? 0) >>> 0);
    if (got.imm64 === undefined && got.next !== undefined) imm64 |= BigInt(got.next >>> 0) << 32n;
    return insn(form.opcode, got.dst ?? 0, src, off, imm64);
  }
  return insn(form.opcode, got.dst ?? 0, src, off, s.imm ?? got.imm ?? 0);
}

const DIRECTIVES_IGNORED = new Set([".text", ".globl", ".global", ".type", ".size", ".p2align", ".align", ".file", ".section", ".addrsig", ".addrsig_sym", ".local"]);

/**
 * Assembles a program. Each line is an instruction, a label (`name:`), a comment
 * (`;`, `//`, `#` at line start) or blank. Lines may carry the listing decorations the
 * disassemblers print: an index (`12:`), the kernel's opcode (`(bf)`), a trailing
 * `<symbol+0x10>`; objdump's headings are skipped, so its output assembles back.
 *
 * @example
 * const { instructions, labels } = assemble(`
 *     r0 = 0
 *     if r1 == 0 goto out   ; llvm syntax
 *     (b7) r0 = 1           ; kernel syntax, opcode checked
 *   out:
 *     exit`);
 * // instructions[1] is { opcode: 0x15, dst: 1, src: 0, off: 1, imm: 0 }; labels.get("out") is 3
 */
export function assemble(source: string, options: { fileName?: string } = {}): AssembledProgram {
  const name = options.fileName;
  const instructions: Instruction[] = [];
  const lines: number[] = [];
  const labels = new Map<string, number>();
  const fixups: { index: number; field: "off" | "imm"; label: string; line: number; col: number; call: boolean }[] = [];
  const references: SymbolReference[] = [];
  let slot = 0;

  source.split(/\r?\n/).forEach((raw, n) => {
    const line = n + 1;
    let text = raw.replace(/\s*(;|\/\/).*$/, "").trim();
    if (text === "" || text.startsWith("#")) return;
    if (/^\S+:\s+file format /.test(text) || text.startsWith("Disassembly of section ")) return;
    const heading = /^[0-9a-fA-F]+\s+<([^>]+)>:$/.exec(text); // objdump's `0000000000000000 <name>:`
    if (heading) { labels.set(heading[1]!, slot); return; }
    if (text.startsWith(".")) {
      const d = text.split(/\s+/)[0]!;
      if (DIRECTIVES_IGNORED.has(d)) return;
      throw new AssemblerError(line, 1, `unknown directive ${d}`, name);
    }
    let label: RegExpExecArray | null;
    while ((label = /^([A-Za-z_.][A-Za-z0-9_.$]*):/.exec(text))) {
      if (labels.has(label[1]!)) throw new AssemblerError(line, 1, `label ${label[1]} is defined twice`, name);
      labels.set(label[1]!, slot);
      text = text.slice(label[0].length).trim();
    }
    text = text.replace(/^\d+:\s*/, "");
    // objdump's target annotation; on a call it says the call is local (or a kfunc).
    const note = /\s*<([^<>]*)>$/.exec(text);
    if (note) text = text.slice(0, note.index);
    if (text === "") return;
    let opcode: number | undefined;
    const prefix = /^\(([0-9a-fA-F]{2})\)\s*/.exec(text);
    if (prefix) { opcode = parseInt(prefix[1]!, 16); text = text.slice(prefix[0].length); }
    const col = raw.indexOf(text) + 1;

    const tokens = tokenize(text, line, name);
    // `r1 = map[counters]` (and `... ll`) names a map for the loader to resolve.
    const mapRef = /^([rw])(\d+)\s*=\s*map\[([A-Za-z_][A-Za-z0-9_.]*)\](\s+ll)?$/.exec(text);
    if (mapRef && mapRef[1] === "r" && Number(mapRef[2]) <= 10) {
      references.push({ index: instructions.length, kind: "map", name: mapRef[3]! });
      instructions.push(insn(0x18, Number(mapRef[2]), 1, 0, 0n));
      lines.push(line);
      slot += 2;
      return;
    }
    let matched: { form: InstructionForm; got: Captured } | undefined;
    const first = tokens[0]?.text ?? "";
    for (const p of candidatesFor(first)) {
      if (opcode !== undefined && p.form.opcode !== opcode) continue;
      const got = matchPattern(tokens, p);
      if (got) { matched = { form: p.form, got }; break; }
    }
    if (!matched) throw new AssemblerError(line, col, `cannot parse instruction '${text}'${opcode !== undefined ? ` as opcode ${prefix![1]}` : ""}`, name);
    let { form, got } = matched;
    if (form.id === "call" && note) form = formById(note[1] === "kfunc" ? "call_kfunc" : "call_local");
    const index = instructions.length;
    if (got.label) fixups.push({ index, field: got.label.field, label: got.label.name, line, col, call: form.id === "call_local" });
    if (got.reference) references.push({ index, kind: got.reference.kind, name: got.reference.name });
    const built = build(form, got);
    instructions.push(built);
    lines.push(line);
    slot += slotsOf(built);
  });

  // Resolve labels now that every slot is known: offsets count from the next slot.
  const starts: number[] = [];
  let at = 0;
  for (const i of instructions) { starts.push(at); at += slotsOf(i); }
  for (const f of fixups) {
    const target = labels.get(f.label);
    if (target === undefined) {
      if (f.call) { references.push({ index: f.index, kind: "call", name: f.label }); instructions[f.index] = { ...instructions[f.index]!, imm: -1 }; continue; }
      throw new AssemblerError(f.line, f.col, `undefined label ${f.label}`, name);
    }
    const delta = target - (starts[f.index]! + 1);
    if (f.field === "off" && (delta < -0x8000 || delta > 0x7fff)) throw new AssemblerError(f.line, f.col, `jump to ${f.label} is out of range for a 16-bit offset (${delta}); use gotol`, name);
    instructions[f.index] = { ...instructions[f.index]!, [f.field]: delta };
  }
  return { instructions, labels, references };
}
