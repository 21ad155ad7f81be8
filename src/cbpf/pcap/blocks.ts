/**
 * @fileoverview The compiler's intermediate form, as libpcap's gencode keeps it: basic blocks
 * of statements ending in one conditional jump, joined by backpatch lists threaded through
 * their unresolved edges, and the linearisation (icode_to_fcode) that gives the program.
 */

import type { SockFilter } from "../insn.js";

/** One straight-line statement (a `struct stmt`). */
export interface Stmt {
  code: number;
  k: number;
  /** A jump inside a block (gen_geneve_offsets' "bare jmp"): the statements it goes to. */
  jt?: Stmt;
  jf?: Stmt;
}

/** A basic block: statements, then the jump `code #k` to `jt` or `jf`. */
export interface Block {
  readonly id: number;
  stmts: Stmt[];
  code: number;
  k: number;
  jt: Block | null;
  jf: Block | null;
  /** Which edge of this block the backpatch list goes through (false: jt). */
  sense: boolean;
  /** The entry of the expression this block ends. */
  head: Block;
  offset: number;
}

export class BlockFactory {
  private next = 0;
  block(code: number, k = 0, stmts: Stmt[] = []): Block {
    const b = { id: this.next++, stmts, code, k, jt: null, jf: null, sense: false, offset: -1 } as unknown as Block;
    b.head = b;
    return b;
  }
}

/** Points every unresolved edge of `list` at `target` (gencode.c backpatch). */
export function backpatch(list: Block | null, target: Block): void {
  while (list) {
    let next: Block | null;
    if (!list.sense) { next = list.jt; list.jt = target; } else { next = list.jf; list.jf = target; }
    list = next;
  }
}

/** Appends list `b1` to the end of list `b0` (gencode.c merge). */
export function merge(b0: Block, b1: Block): void {
  let p = b0;
  for (;;) {
    const next = !p.sense ? p.jt : p.jf;
    if (!next) break;
    p = next;
  }
  if (!p.sense) p.jt = b1; else p.jf = b1;
}

export function genAnd(b0: Block, b1: Block): void {
  backpatch(b0, b1.head);
  b0.sense = !b0.sense;
  b1.sense = !b1.sense;
  merge(b1, b0);
  b1.sense = !b1.sense;
  b1.head = b0.head;
}

export function genOr(b0: Block, b1: Block): void {
  b0.sense = !b0.sense;
  backpatch(b0, b1.head);
  b0.sense = !b0.sense;
  merge(b1, b0);
  b1.head = b0.head;
}

export function genNot(b: Block): void {
  b.sense = !b.sense;
}

/** BPF_JMP|BPF_JA */
const JA = 0x05;

/**
 * Lays the block graph out as libpcap's convert_code_r does (false branch last, true branch
 * before it, each block before both), with a `ja` where a branch is too far for 8 bits.
 */
export function linearize(root: Block): SockFilter[] {
  const order: Block[] = [];
  const seen = new Set<Block>();
  // convert_code_r fills from the end: visit jf, then jt, then place the block in front.
  const visit = (b: Block | null) => {
    if (!b || seen.has(b)) return;
    seen.add(b);
    visit(b.jf);
    visit(b.jt);
    order.push(b);
  };
  visit(root);
  order.reverse();
  // Offsets: statements plus the jump, plus any long-jump escapes (computed to a fixed point).
  const longJt = new Set<Block>(), longJf = new Set<Block>();
  for (;;) {
    let at = 0;
    for (const b of order) {
      b.offset = at;
      at += b.stmts.length + 1 + (longJt.has(b) ? 1 : 0) + (longJf.has(b) ? 1 : 0);
    }
    let changed = false;
    for (const b of order) {
      if (!b.jt) continue;
      const from = b.offset + b.stmts.length;
      if (b.jt.offset - from - 1 > 255 && !longJt.has(b)) { longJt.add(b); changed = true; }
      if (b.jf!.offset - from - 1 > 255 && !longJf.has(b)) { longJf.add(b); changed = true; }
    }
    if (!changed) break;
  }
  const out: SockFilter[] = [];
  for (const b of order) {
    b.stmts.forEach((s, i) => {
      const rel = (t: Stmt | undefined) => (t ? b.stmts.indexOf(t) - i - 1 : 0);
      out.push({ code: s.code, jt: rel(s.jt), jf: rel(s.jf), k: s.k >>> 0 });
    });
    if (!b.jt) { out.push({ code: b.code, jt: 0, jf: 0, k: b.k >>> 0 }); continue; }
    const from = out.length;
    const extra = (longJt.has(b) ? 1 : 0) + (longJf.has(b) ? 1 : 0);
    let jt = b.jt.offset - from - 1, jf = b.jf!.offset - from - 1;
    const escapes: SockFilter[] = [];
    if (longJt.has(b)) { escapes.push({ code: JA, jt: 0, jf: 0, k: b.jt.offset - (from + 1 + escapes.length) - 1 }); jt = escapes.length - 1; }
    if (longJf.has(b)) { escapes.push({ code: JA, jt: 0, jf: 0, k: b.jf!.offset - (from + 1 + escapes.length) - 1 }); jf = escapes.length - 1; }
    if (!longJt.has(b)) jt = b.jt.offset - from - 1;
    if (!longJf.has(b)) jf = b.jf!.offset - from - 1;
    void extra;
    out.push({ code: b.code, jt, jf, k: b.k >>> 0 }, ...escapes);
  }
  return out;
}
