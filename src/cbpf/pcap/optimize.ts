/**
 * @fileoverview The optimizer, over the linear program: folds what libpcap's optimizer folds
 * where that changes which packets match (a load masked with `and #0` is the constant 0, so a
 * short packet no longer fails that load), threads jumps through jumps whose outcome the
 * path already decided, and drops unreachable code. Every rewrite gives the same result on
 * every packet as the program libpcap's optimizer produces would.
 */

import type { SockFilter } from "../insn.js";

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
