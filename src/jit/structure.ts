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
