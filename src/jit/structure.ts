/**
 * @fileoverview Structured control flow from a function's jumps: every back edge makes a
 * `loop` from its target to past its last source, every forward target a `block` that
 * ends at it and opens at the start of the innermost loop holding it, so the scopes nest
 * and each jump is one `br`. A forward jump into a loop from outside it (an irreducible
 * graph, or a layout this placement cannot nest) makes the function fall back to a
 * dispatch loop over its basic blocks.
 */

/** A scope over slots `[start, end)`: a block's `br` goes to `end`, a loop's to `start`. */
export interface Scope {
  readonly kind: "block" | "loop";
  readonly start: number;
  end: number;
}

/** A jump inside one function, slot to slot. */
export interface Edge { readonly from: number; readonly to: number }

export type Structure =
  | { readonly ok: true; readonly opens: ReadonlyMap<number, readonly Scope[]> }
  | { readonly ok: false; readonly reason: string };

/**
 * Places the scopes of a function spanning slots `[from, to)`. `opens` gives, by slot,
 * the scopes opening there, outermost first; a scope closes at its `end`.
 */
export function structure(from: number, edges: readonly Edge[]): Structure {
  // Loops: one per back-edge target, reaching past its last source.
  const loopEnd = new Map<number, number>();
  for (const e of edges) {
    if (e.to <= e.from) loopEnd.set(e.to, Math.max(loopEnd.get(e.to) ?? 0, e.from + 1));
  }
  const loops: Scope[] = [...loopEnd].sort((a, b) => a[0] - b[0]).map(([start, end]) => ({ kind: "loop", start, end }));
  // Make them nest: a loop that starts inside another and ends after it stretches the
  // outer one (a loop's end only marks where falling through leaves it).
  const open: Scope[] = [];
  for (const l of loops) {
    while (open.length > 0 && open[open.length - 1]!.end <= l.start) open.pop();
    for (const o of open) if (o.end < l.end) o.end = l.end;
    open.push(l);
  }

  // The innermost loop strictly containing each forward target, by a sweep over starts.
  const targets = [...new Set(edges.filter((e) => e.to > e.from).map((e) => e.to))].sort((a, b) => a - b);
  const blockStart = new Map<number, number>();
  {
    const stack: Scope[] = [];
    let li = 0;
    for (const t of targets) {
      while (li < loops.length && loops[li]!.start < t) {
        const l = loops[li++]!;
        while (stack.length > 0 && stack[stack.length - 1]!.end <= l.start) stack.pop();
        stack.push(l);
      }
      while (stack.length > 0 && stack[stack.length - 1]!.end <= t) stack.pop();
      blockStart.set(t, stack.length > 0 ? stack[stack.length - 1]!.start : from);
    }
  }
  for (const e of edges) {
    if (e.to > e.from && e.from < blockStart.get(e.to)!) {
      return { ok: false, reason: `the jump at slot ${e.from} enters the loop at slot ${blockStart.get(e.to)} from outside` };
    }
  }

  const scopes: Scope[] = [...loops, ...targets.map((t): Scope => ({ kind: "block", start: blockStart.get(t)!, end: t }))];
  const opens = new Map<number, Scope[]>();
  for (const s of scopes) {
    const list = opens.get(s.start);
    if (list) list.push(s);
    else opens.set(s.start, [s]);
  }
  // Outermost first: the later end opens first; a block around a loop of the same extent.
  for (const list of opens.values()) list.sort((a, b) => b.end - a.end || (a.kind === "block" ? -1 : 1));
  // Check the nesting once, as the emitter will walk it.
  const stack: Scope[] = [];
  const positions = [...new Set([...opens.keys(), ...scopes.map((s) => s.end)])].sort((a, b) => a - b);
  for (const p of positions) {
    while (stack.length > 0 && stack[stack.length - 1]!.end === p) stack.pop();
    if (stack.length > 0 && stack[stack.length - 1]!.end < p) return { ok: false, reason: `scopes cross at slot ${p}` };
    for (const s of opens.get(p) ?? []) {
      if (stack.length > 0 && stack[stack.length - 1]!.end < s.end) return { ok: false, reason: `scopes cross at slot ${p}` };
      stack.push(s);
    }
  }
  return { ok: true, opens };
}

/**
 * Orders the basic blocks of a reducible graph so that every loop is contiguous with its
 * header first and every other edge points forward, staying close to the original order
 * (compilers rotate loops, so a loop's test often sits after its body, and share exit
 * blocks placed before the code that jumps to them). `succ[b]` are block b's successors;
 * block 0 is the entry. Unreachable blocks are left out; an irreducible graph has no
 * such order.
 */
export function layout(succ: readonly (readonly number[])[]): { ok: true; order: number[] } | { ok: false; reason: string } {
  const n = succ.length;
  // Reverse postorder from the entry (iteratively: programs can be long).
  const post: number[] = [];
  const state = new Uint8Array(n);
  const stack: [number, number][] = [[0, 0]];
  state[0] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [b, i] = top;
    if (i < succ[b]!.length) {
      top[1]++;
      const s = succ[b]![i]!;
      if (state[s] === 0) { state[s] = 1; stack.push([s, 0]); }
    } else {
      stack.pop();
      post.push(b);
    }
  }
  const rpo = post.reverse();
  const rpoIndex = new Int32Array(n).fill(-1);
  rpo.forEach((b, k) => { rpoIndex[b] = k; });
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (const b of rpo) for (const s of succ[b]!) preds[s]!.push(b);

  // Dominators, as Cooper, Harvey and Kennedy compute them.
  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (rpoIndex[a]! > rpoIndex[b]!) a = idom[a]!;
      while (rpoIndex[b]! > rpoIndex[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const b of rpo) {
      if (b === 0) continue;
      let d = -1;
      for (const p of preds[b]!) if (idom[p] !== -1) d = d < 0 ? p : intersect(p, d);
      if (d !== idom[b]) { idom[b] = d; changed = true; }
    }
  }
  const dominates = (a: number, b: number) => {
    while (b !== a && b !== 0) b = idom[b]!;
    return b === a;
  };

  // Back edges make loops; a retreating edge that is not one makes the graph irreducible.
  const latches = new Map<number, number[]>();
  for (const b of rpo) {
    for (const s of succ[b]!) {
      if (rpoIndex[s]! > rpoIndex[b]!) continue;
      if (!dominates(s, b)) return { ok: false, reason: `block ${s} is entered other than through its loop's header` };
      const l = latches.get(s);
      if (l) l.push(b); else latches.set(s, [b]);
    }
  }
  // Natural loop bodies, and each block's innermost loop (the smallest body holding it).
  const loops = [...latches].map(([header, ls]) => {
    const body = new Set<number>([header]);
    const work = [...ls];
    while (work.length > 0) {
      const b = work.pop()!;
      if (body.has(b)) continue;
      body.add(b);
      for (const p of preds[b]!) work.push(p);
    }
    return { header, body };
  }).sort((a, b) => a.body.size - b.body.size);
  const loopOf = new Int32Array(n).fill(-1);
  loops.forEach((l, k) => { for (const b of l.body) if (loopOf[b] === -1) loopOf[b] = k; });
  // A loop's parent: the smallest larger loop holding its header.
  const parent = loops.map((l, k) => {
    for (let j = k + 1; j < loops.length; j++) if (loops[j]!.body.has(l.header) && loops[j]!.header !== l.header) return j;
    return -1;
  });

  /** Orders the blocks of loop `k` (-1: the whole function), child loops kept whole. */
  const order = (k: number): number[] | undefined => {
    const members = k < 0 ? rpo : [...loops[k]!.body];
    const header = k < 0 ? -1 : loops[k]!.header;
    // The child of `k` holding block b, as a node id (-2 - loop), or b itself.
    const nodeOf = (b: number): number => {
      let l = loopOf[b]!;
      if (l === k) return b;
      while (l >= 0 && parent[l] !== k) l = parent[l]!;
      return l >= 0 ? -2 - l : b;
    };
    const first = (node: number) => (node >= 0 ? node : loops[-2 - node]!.header);
    const nodes = new Set<number>();
    const out = new Map<number, Set<number>>();
    const indeg = new Map<number, number>();
    for (const b of members) {
      const u = nodeOf(b);
      if (!nodes.has(u)) { nodes.add(u); out.set(u, new Set()); indeg.set(u, indeg.get(u) ?? 0); }
    }
    for (const b of members) {
      const u = nodeOf(b);
      for (const s of succ[b]!) {
        if (s === header || (k >= 0 && !loops[k]!.body.has(s))) continue;
        const v = nodeOf(s);
        if (v === u || out.get(u)!.has(v)) continue;
        out.get(u)!.add(v);
        indeg.set(v, (indeg.get(v) ?? 0) + 1);
      }
    }
    // Kahn's algorithm, taking the ready node that came first in the program.
    const ready = [...nodes].filter((u) => indeg.get(u) === 0);
    const result: number[] = [];
    while (ready.length > 0) {
      let best = 0;
      for (let i = 1; i < ready.length; i++) if (first(ready[i]!) < first(ready[best]!)) best = i;
      const u = ready[best]!;
      ready[best] = ready[ready.length - 1]!;
      ready.pop();
      if (u >= 0) result.push(u);
      else {
        const inner = order(-2 - u);
        if (!inner) return undefined;
        result.push(...inner);
      }
      for (const v of out.get(u)!) {
        const d = indeg.get(v)! - 1;
        indeg.set(v, d);
        if (d === 0) ready.push(v);
      }
    }
    if (result.length !== members.length || (header >= 0 && result[0] !== header)) return undefined;
    return result;
  };
  const result = order(-1);
  if (!result || result[0] !== 0) return { ok: false, reason: "no order keeps every loop whole" };
  return { ok: true, order: result };
}
