/**
 * @fileoverview The optimizer, over the linear program: folds what libpcap's optimizer folds
 * where that changes which packets match (a load masked with `and #0` is the constant 0, so a
 * short packet no longer fails that load), threads jumps through jumps whose outcome the
 * path already decided, and drops unreachable code. Every rewrite gives the same result on
 * every packet as the program libpcap's optimizer produces would.
 */

import type { SockFilter } from "../insn.js";
import type { Block, Stmt } from "./blocks.js";

/** What A and X hold, as expressions over the packet ("P2[12]", "MSH[14]"), where known. */
interface State { a?: string; x?: string }

const SIZES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1 };

/** One statement's effect on the state; `pure` when it only sets A or X from the packet or constants. */
function step(st: State, s: Stmt): { next: State; pure: boolean; dest?: "a" | "x"; value?: string } {
  const c = s.code, k = s.k >>> 0;
  switch (c) {
    case 0x20: case 0x28: case 0x30: { const v = `P${SIZES[c & 0x18]}[${k | 0}]`; return { next: { ...st, a: v }, pure: true, dest: "a", value: v }; }
    case 0x40: case 0x48: case 0x50: {
      const v = st.x !== undefined ? `P${SIZES[c & 0x18]}[${st.x}+${k | 0}]` : undefined;
      return { next: { ...st, a: v }, pure: true, dest: "a", value: v };
    }
    case 0x80: return { next: { ...st, a: "LEN" }, pure: true, dest: "a", value: "LEN" };
    case 0x00: return { next: { ...st, a: `#${k}` }, pure: true, dest: "a", value: `#${k}` };
    case 0x01: return { next: { ...st, x: `#${k}` }, pure: true, dest: "x", value: `#${k}` };
    case 0xb1: { const v = `MSH[${k | 0}]`; return { next: { ...st, x: v }, pure: true, dest: "x", value: v }; }
    case 0x07: return { next: { ...st, x: st.a }, pure: true, dest: "x", value: st.a };
    case 0x87: return { next: { ...st, a: st.x }, pure: true, dest: "a", value: st.x };
    case 0x02: case 0x03: return { next: st, pure: false };
    case 0x60: return { next: { ...st, a: undefined }, pure: false };
    case 0x61: return { next: { ...st, x: undefined }, pure: false };
    default:
      if ((c & 0x07) === 0x04) {
        if (c === 0x54 && k === 0) return { next: { ...st, a: "#0" }, pure: true };
        const v = st.a !== undefined && (c & 0x08) === 0 ? `(${st.a})${c.toString(16)}#${k}` : undefined;
        return { next: { ...st, a: v }, pure: true };
      }
      return { next: { a: undefined, x: undefined }, pure: false };
  }
}

const run = (st: State, stmts: readonly Stmt[]) => stmts.reduce((s, x) => step(s, x).next, st);

/** What a taken or not-taken edge of a test on A tells about A: a range, an excluded value, known bits. */
interface Fact { lo: number; hi: number; nots?: readonly number[]; set: number; clear: number; /** masks A has some bit of */ some?: readonly number[] }

function factOf(code: number, k: number, taken: boolean): Fact | undefined {
  const f: Fact = { lo: 0, hi: 0xffffffff, set: 0, clear: 0 };
  switch (code) {
    case 0x15: if (taken) { f.lo = f.hi = k; } else f.nots = [k]; return f;
    case 0x25: if (taken) { if (k === 0xffffffff) return undefined; f.lo = k + 1; } else f.hi = k; return f;
    case 0x35: if (taken) f.lo = k; else { if (k === 0) return undefined; f.hi = k - 1; } return f;
    case 0x45: if (taken) { if ((k & (k - 1)) === 0) f.set = k; else f.some = [k]; } else f.clear = k; return f;
    default: return undefined;
  }
}

/** The outcome of test `code #k` on an A that `f` describes, if it follows. */
function decide(f: Fact, code: number, k: number): boolean | undefined {
  if (f.lo === f.hi) {
    const a = f.lo;
    switch (code) {
      case 0x15: return a === k;
      case 0x25: return a > k;
      case 0x35: return a >= k;
      case 0x45: return ((a & k) >>> 0) !== 0;
    }
  }
  switch (code) {
    case 0x15: if (k < f.lo || k > f.hi || f.nots?.includes(k) || ((k & f.clear) >>> 0) !== 0 || ((k & f.set) >>> 0) !== (f.set >>> 0)) return false; return undefined;
    case 0x25: if (f.lo > k) return true; if (f.hi <= k) return false; return undefined;
    case 0x35: if (f.lo >= k) return true; if (f.hi < k) return false; return undefined;
    case 0x45: if (((k & f.set) >>> 0) !== 0 || f.some?.some((m) => ((m & ~k) >>> 0) === 0)) return true; if (((k & ~f.clear) >>> 0) === 0) return false; return undefined;
  }
  return undefined;
}

const isCondBlock = (b: Block) => b.jt !== null && (b.code & 0x08) === 0 && (b.code & 0xf0) !== 0;

/** Facts on two paths meeting: what both say (ranges joined, bits both know). */
function join(a: Fact, b: Fact): Fact {
  return {
    lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi), set: (a.set & b.set) >>> 0, clear: (a.clear & b.clear) >>> 0,
    // A value excluded on both paths (or outside the other path's single value) stays excluded.
    nots: [...(a.nots ?? []).filter((v) => b.nots?.includes(v) || v < b.lo || v > b.hi),
      ...(b.nots ?? []).filter((v) => !a.nots?.includes(v) && (v < a.lo || v > a.hi))],
    some: (a.some ?? []).filter((m) => b.some?.includes(m)),
  };
}
/** Two facts about one value on one path: both hold. */
function meet(a: Fact, b: Fact): Fact {
  const f: Fact = { lo: Math.max(a.lo, b.lo), hi: Math.min(a.hi, b.hi), set: (a.set | b.set) >>> 0, clear: (a.clear | b.clear) >>> 0 };
  const nots = [...new Set([...(a.nots ?? []), ...(b.nots ?? [])])].slice(0, 32);
  if (nots.length) f.nots = nots;
  const some = [...new Set([...(a.some ?? []), ...(b.some ?? [])])].slice(0, 32);
  if (some.length) f.some = some;
  return f;
}

type Facts = Map<string, Fact>;

/** Blocks in layout (topological) order, and each one's predecessors. */
function graph(root: Block): { order: Block[]; preds: Map<Block, Block[]> } {
  const order: Block[] = [];
  const seen = new Set<Block>();
  const visit = (b: Block | null) => {
    if (!b || seen.has(b)) return;
    seen.add(b);
    visit(b.jf); visit(b.jt);
    order.push(b);
  };
  visit(root);
  order.reverse();
  const preds = new Map<Block, Block[]>(order.map((b) => [b, []]));
  for (const b of order) for (const t of [b.jt, b.jf]) if (t) preds.get(t)!.push(b);
  return { order, preds };
}

/**
 * libpcap's optimizer in spirit, on the block graph. Every block gencode makes computes its
 * test from the packet alone (A, X and the scratch words it reads are set in the block), so
 * an edge may skip any block whose outcome the path already decided: the facts each edge
 * establishes about a value (`P2[12] == 0x800`) are carried forward, and an edge into a block
 * testing a value those facts decide jumps straight to the decided successor. Blocks equal in
 * every respect are merged. Last, loads of a value a register already holds on every path
 * into a block are dropped. Each step is exact: no packet can tell the difference.
 */
export function optimizeBlocks(root: Block): void {
  simplifyArithmetic(root);
  // A round ends at the first change: facts are only sound over the current predecessors.
  for (let round = 0; round < 20000; round++) {
    const { order, preds } = graph(root);
    const tested = new Map<Block, string | undefined>(order.map((b) => [b, isCondBlock(b) ? run({}, b.stmts).a : undefined]));
    const edgeFacts = new Map<Block, { jt?: Facts; jf?: Facts }>();
    const factsIn = new Map<Block, Facts>();
    let changed = false;
    for (const b of order) {
      const ps = preds.get(b)!;
      let facts: Facts = new Map();
      if (ps.length) {
        const ins = ps.flatMap((p) => [p.jt === b ? edgeFacts.get(p)!.jt! : undefined, p.jf === b ? edgeFacts.get(p)!.jf! : undefined].filter((x): x is Facts => x !== undefined));
        facts = new Map(ins[0]);
        for (const other of ins.slice(1)) {
          for (const [e, f] of facts) {
            const g = other.get(e);
            if (g) facts.set(e, join(f, g)); else facts.delete(e);
          }
        }
      }
      factsIn.set(b, facts);
      const e = tested.get(b);
      const out: { jt?: Facts; jf?: Facts } = {};
      for (const edge of ["jt", "jf"] as const) {
        if (!b[edge]) continue;
        const f = new Map(facts);
        const fact = e !== undefined ? factOf(b.code, b.k >>> 0, edge === "jt") : undefined;
        if (e !== undefined && fact) f.set(e, f.has(e) ? meet(f.get(e)!, fact) : fact);
        out[edge] = f;
        // Thread the edge past blocks its facts decide.
        let target = b[edge]!;
        for (let hops = 0; hops < 1024; hops++) {
          const te = tested.get(target);
          if (te === undefined) break;
          // A test of a constant (`ld [26]; and #0`) is decided on every path.
          const tf = f.get(te) ?? (/^#\d+$/.test(te) ? { lo: Number(te.slice(1)), hi: Number(te.slice(1)), set: 0, clear: 0 } : undefined);
          const d = tf ? decide(tf, target.code, target.k >>> 0) : undefined;
          if (d === undefined) break;
          target = (d ? target.jt : target.jf)!;
        }
        if (target !== b[edge]) { b[edge] = target; changed = true; }
      }
      edgeFacts.set(b, out);
      if (changed) break;
    }
    if (changed) continue;
    // Merge blocks that are the same in every respect (libpcap's ret blocks, repeated tests).
    const byKey = new Map<string, Block>();
    for (const b of [...order].reverse()) {
      const key = `${b.code}:${b.k >>> 0}:${b.jt?.id ?? "-"}:${b.jf?.id ?? "-"}:${b.stmts.map((x) => `${x.code}/${x.k >>> 0}`).join(",")}`;
      const same = byKey.get(key);
      if (!same) { byKey.set(key, b); continue; }
      for (const p of preds.get(b)!) {
        if (p.jt === b) p.jt = same;
        if (p.jf === b) p.jf = same;
      }
      changed = true;
    }
    if (!changed) break;
  }
  dropRedundantLoads(root);
}

/** Drops a pure load into a register that already holds that value on every path in. */
function dropRedundantLoads(root: Block): void {
  const { order, preds } = graph(root);
  const exit = new Map<Block, State>();
  for (const b of order) {
    const outs = preds.get(b)!.map((p) => exit.get(p)!);
    let st: State = outs.length ? {
      a: outs.every((o) => o.a === outs[0]!.a) ? outs[0]!.a : undefined,
      x: outs.every((o) => o.x === outs[0]!.x) ? outs[0]!.x : undefined,
    } : {};
    const kept: Stmt[] = [];
    for (const s of b.stmts) {
      const r = step(st, s);
      if (r.pure && r.dest && r.value !== undefined && st[r.dest] === r.value) continue;
      kept.push(s);
      st = r.next;
    }
    b.stmts = kept;
    exit.set(b, st);
  }
}
const isLoadA = (c: number) => c === 0x20 || c === 0x28 || c === 0x30 || c === 0x40 || c === 0x48 || c === 0x50 || c === 0x80;
const isCond = (c: number) => (c & 0x07) === 0x05 && (c & 0xf0) !== 0;

export function optimizeProgram(input: readonly SockFilter[]): SockFilter[] {
  const p = input.map((i) => ({ ...i }));
  // 1. `ld [k]; and #0` is the constant 0 (libpcap folds it; the load then cannot fail).
  for (let i = 0; i + 1 < p.length; i++) {
    if (isLoadA(p[i]!.code) && p[i + 1]!.code === 0x54 && p[i + 1]!.k === 0) {
      p[i] = { code: 0x00, jt: 0, jf: 0, k: 0 };
      p[i + 1] = { code: 0x00, jt: 0, jf: 0, k: 0 };
    }
  }
  return compact(fold(p));
}

/** Conditional jumps on an A known at that point (a constant load right before) become decided. */
function fold(p: SockFilter[]): SockFilter[] {
  for (let i = 1; i < p.length; i++) {
    const prev = p[i - 1]!, j = p[i]!;
    if (prev.code !== 0x00 || !isCond(j.code) || (j.code & 0x08) !== 0) continue;
    const a = prev.k >>> 0, k = j.k >>> 0;
    const op = j.code & 0xf0;
    const taken = op === 0x10 ? a === k : op === 0x20 ? a > k : op === 0x30 ? a >= k : (a & k) !== 0;
    // A decided branch: both edges to the same place.
    p[i] = { ...j, jt: taken ? j.jt : j.jf, jf: taken ? j.jt : j.jf };
  }
  return p;
}

/**
 * Removes instructions no path reaches and turns decided branches into fall-through where
 * the target is next, renumbering every jump.
 */
function compact(p: SockFilter[]): SockFilter[] {
  const n = p.length;
  const reach = new Array<boolean>(n).fill(false);
  const stack = [0];
  while (stack.length) {
    const i = stack.pop()!;
    if (i >= n || reach[i]) continue;
    reach[i] = true;
    const c = p[i]!.code;
    if ((c & 0x07) === 0x06) continue;
    if (c === 0x05) stack.push(i + 1 + p[i]!.k);
    else if (isCond(c)) stack.push(i + 1 + p[i]!.jt, i + 1 + p[i]!.jf);
    else stack.push(i + 1);
  }
  // A decided branch whose target is the next reachable instruction disappears.
  const drop = new Array<boolean>(n).fill(false);
  const nextLive = (from: number) => { let t = from; while (t < n && !reach[t]) t++; return t; };
  for (let i = 0; i < n; i++) {
    if (!reach[i]) { drop[i] = true; continue; }
    const x = p[i]!;
    if (isCond(x.code) && x.jt === x.jf && nextLive(i + 1) === i + 1 + x.jt) drop[i] = true;
  }
  const newIndex = new Array<number>(n + 1);
  let at = 0;
  for (let i = 0; i < n; i++) { newIndex[i] = at; if (!drop[i]) at++; }
  newIndex[n] = at;
  const target = (i: number) => newIndex[nextLive(i)]!;
  const out: SockFilter[] = [];
  for (let i = 0; i < n; i++) {
    if (drop[i]) continue;
    const x = p[i]!;
    const here = newIndex[i]!;
    if (x.code === 0x05) out.push({ ...x, k: target(i + 1 + x.k) - here - 1 });
    else if (isCond(x.code)) {
      const jt = target(i + 1 + x.jt) - here - 1, jf = target(i + 1 + x.jf) - here - 1;
      if (x.jt === x.jf) out.push({ code: 0x05, jt: 0, jf: 0, k: jt });
      else out.push({ ...x, jt, jf });
    } else out.push(x);
  }
  return out;
}

// ---- arithmetic blocks: `proto[expr] op value` evaluated as an expression and emitted anew ----

type Expr =
  | { t: "k"; v: number }
  | { t: "len" }
  | { t: "ld"; size: number; base: Expr | null; off: number }
  | { t: "msh"; off: number }
  | { t: "bin"; op: number; l: Expr; r: Expr }
  | { t: "neg"; e: Expr };

const K = (v: number): Expr => ({ t: "k", v: v >>> 0 });

function foldBin(op: number, l: Expr, r: Expr): Expr {
  // Constants to the right of commutative operators, so they become `op #k`.
  if (l.t === "k" && r.t !== "k" && (op === 0x00 || op === 0x20 || op === 0x40 || op === 0x50 || op === 0xa0)) [l, r] = [r, l];
  if (l.t === "k" && r.t === "k" && !((op === 0x30 || op === 0x90) && r.v === 0)) {
    const a = l.v, b = r.v;
    switch (op) {
      case 0x00: return K(a + b);
      case 0x10: return K(a - b);
      case 0x20: return K(Math.imul(a, b));
      case 0x30: return K(Math.floor(a / b));
      case 0x90: return K(a % b);
      case 0x40: return K(a | b);
      case 0x50: return K(a & b);
      case 0xa0: return K(a ^ b);
      case 0x60: return K(b >= 32 ? 0 : a << b);
      case 0x70: return K(b >= 32 ? 0 : a >>> b);
    }
  }
  return { t: "bin", op, l, r };
}

function loadOf(size: number, base: Expr | null, off: number): Expr {
  if (base && base.t === "k" && base.v + off < 0x80000000) return { t: "ld", size, base: null, off: base.v + off };
  // [x + k] with X = E + c is [E + (c + k)]: the constant moves into the offset.
  if (base && base.t === "bin" && base.op === 0x00 && base.r.t === "k" && base.r.v + off < 0x10000) return loadOf(size, base.l, base.r.v + off);
  return { t: "ld", size, base, off };
}

const SIZE_CODE: Record<number, number> = { 4: 0x00, 2: 0x08, 1: 0x10 };

/** The block's statements and test as expressions, or undefined where it does something else. */
function evaluate(b: Block): { a: Expr; test: Expr | number; loads: Expr[] } | undefined {
  let a: Expr | undefined, x: Expr | undefined;
  const m: (Expr | undefined)[] = new Array(16);
  const loads: Expr[] = [];
  for (const s of b.stmts) {
    const c = s.code, k = s.k >>> 0;
    switch (c) {
      case 0x20: case 0x28: case 0x30: a = loadOf(SIZES[c & 0x18]!, null, k | 0); loads.push(a); break;
      case 0x40: case 0x48: case 0x50: if (!x) return undefined; a = loadOf(SIZES[c & 0x18]!, x, k | 0); loads.push(a); break;
      case 0x00: a = K(k); break;
      case 0x01: x = K(k); break;
      case 0x80: a = { t: "len" }; break;
      case 0xb1: x = { t: "msh", off: k | 0 }; loads.push(x); break;
      case 0x60: if (k > 15 || !m[k]) return undefined; a = m[k]; break;
      case 0x61: if (k > 15 || !m[k]) return undefined; x = m[k]; break;
      case 0x02: if (k > 15 || !a) return undefined; m[k] = a; break;
      case 0x03: if (k > 15 || !x) return undefined; m[k] = x; break;
      case 0x07: x = a; break;
      case 0x87: a = x; break;
      case 0x84: if (!a) return undefined; a = a.t === "k" ? K(-a.v) : { t: "neg", e: a }; break;
      default:
        if ((c & 0x07) !== 0x04 || !a) return undefined;
        if (c & 0x08) { if (!x) return undefined; a = foldBin(c & 0xf0, a, x); } else a = foldBin(c & 0xf0, a, K(k));
    }
  }
  if (!a) return undefined;
  if (b.code & 0x08) { if (!x) return undefined; return { a, test: x, loads }; }
  return { a, test: b.k >>> 0, loads };
}

function collect(e: Expr, out: Set<string>): void {
  switch (e.t) {
    case "ld": out.add(key(e)); if (e.base) collect(e.base, out); break;
    case "msh": out.add(key(e)); break;
    case "bin": collect(e.l, out); collect(e.r, out); break;
    case "neg": collect(e.e, out); break;
  }
}
function key(e: Expr): string {
  switch (e.t) {
    case "k": return `#${e.v}`;
    case "len": return "len";
    case "ld": return `ld${e.size}[${e.base ? key(e.base) : ""}+${e.off}]`;
    case "msh": return `msh[${e.off}]`;
    case "bin": return `(${key(e.l)} ${e.op} ${key(e.r)})`;
    case "neg": return `-(${key(e.e)})`;
  }
}

/** Statements leaving `e` in A (X and scratch words from `depth` up are clobbered). */
function emit(e: Expr, depth: number): Stmt[] | undefined {
  switch (e.t) {
    case "k": return [{ code: 0x00, k: e.v }];
    case "len": return [{ code: 0x80, k: 0 }];
    case "msh": return [{ code: 0xb1, k: e.off }, { code: 0x87, k: 0 }];
    case "ld": {
      const code = 0x00 | SIZE_CODE[e.size]!;
      if (!e.base) return [{ code: code | 0x20, k: e.off }];
      const x = loadX(e.base, depth);
      return x && [...x, { code: code | 0x40, k: e.off }];
    }
    case "neg": { const s = emit(e.e, depth); return s && [...s, { code: 0x84, k: 0 }]; }
    case "bin": {
      if ((e.op === 0x30 || e.op === 0x90) && e.r.t === "k" && e.r.v === 0) return undefined;
      if (e.r.t === "k") { const l = emit(e.l, depth); return l && [...l, { code: 0x04 | e.op, k: e.r.v }]; }
      const l = emit(e.l, depth + 1);
      if (!l) return undefined;
      if (e.r.t === "msh") return [...l, { code: 0xb1, k: e.r.off }, { code: 0x0c | e.op, k: 0 }];
      if (depth > 15) return undefined;
      const r = emit(e.r, depth + 1);
      return r && [...r, { code: 0x02, k: depth }, ...l, { code: 0x61, k: depth }, { code: 0x0c | e.op, k: 0 }];
    }
  }
}

/** Statements leaving `e` in X. */
function loadX(e: Expr, depth: number): Stmt[] | undefined {
  if (e.t === "msh") return [{ code: 0xb1, k: e.off }];
  if (e.t === "k") return [{ code: 0x01, k: e.v }];
  const s = emit(e, depth);
  return s && [...s, { code: 0x07, k: 0 }];
}

/**
 * A block of scratch-register arithmetic (what `ip[0] + 1 = 0x46` compiles to) rewritten from
 * its value: constants folded, `A - c == 0` tested as `A == c`, stores that only move values
 * gone. Kept only when shorter, and only when every load of the original is still made (a
 * load past the packet must still reject it).
 */
export function simplifyArithmetic(root: Block): void {
  const { order } = graph(root);
  for (const b of order) {
    if (!b.jt || !b.stmts.some((s) => s.code === 0x02 || s.code === 0x03 || s.code === 0x60 || s.code === 0x61)) continue;
    const v = evaluate(b);
    if (!v) continue;
    let a = v.a, code = b.code, test = v.test;
    // (E - c) == 0  is  E == c
    if ((code & 0xf0) === 0x10 && (code & 0x08) === 0 && test === 0 && a.t === "bin" && a.op === 0x10) {
      if (a.r.t === "k") { test = a.r.v; a = a.l; } else { test = a.r; a = a.l; code |= 0x08; }
    }
    if (typeof test !== "number" && test.t === "k") { test = test.v; code &= ~0x08; }
    let stmts: Stmt[] | undefined;
    if (typeof test === "number") stmts = emit(a, 0);
    else if (test.t === "msh") { const l = emit(a, 0); stmts = l && [...l, { code: 0xb1, k: test.off }]; }
    else {
      const r = emit(test, 1), l = emit(a, 1);
      stmts = r && l && [...r, { code: 0x02, k: 0 }, ...l, { code: 0x61, k: 0 }];
    }
    if (!stmts || stmts.length >= b.stmts.length) continue;
    const before = new Set(v.loads.map(key)), after = new Set<string>();
    collect(a, after);
    if (typeof test !== "number") collect(test, after);
    if ([...before].some((k) => !after.has(k))) continue;
    b.stmts = stmts;
    b.code = code;
    b.k = typeof test === "number" ? test : 0;
  }
}
