/**
 * @fileoverview The verifier's per-instruction states as data: the log's text form
 * (`R1=ctx() R3=scalar(umax=255,var_off=(0x0; 0xff)) fp-8=mmmmmmmm`) read back into
 * registers with a type, every bound, the tracked bits and the stack slots, for tools
 * that show them (the playground). Additive: it reads what `verifyProgram` already gives.
 */

import { verifyProgram, type VerifyOptions, type VerifyResult } from "./index.js";

/** The scalar part of a register: all eight bounds and the tracked number, as decimal/hex strings. */
export interface ScalarJson {
  readonly smin: string;
  readonly smax: string;
  readonly umin: string;
  readonly umax: string;
  readonly smin32: string;
  readonly smax32: string;
  readonly umin32: string;
  readonly umax32: string;
  /** var_off: bits set in mask are unknown; the others equal value's. Hex. */
  readonly tnum: { readonly value: string; readonly mask: string };
  /** The value, when every bit is known. */
  readonly constant?: string;
}

export interface RegJson {
  /** "R0".."R10", or the stack slot ("fp-8") a spilled register sits in. */
  readonly name: string;
  /** The type as the kernel's log names it: scalar, ctx, fp, pkt, map_value_or_null... */
  readonly type: string;
  /** The log's own text for it. */
  readonly text: string;
  readonly precise: boolean;
  /** Pointers: the fixed offset and the log's other fields (r=, map=, id=...). */
  readonly fields: Readonly<Record<string, string>>;
  /** A scalar's value, or a pointer's variable offset. */
  readonly scalar: ScalarJson;
}

export interface StackSlotJson {
  /** The slot's offset from the frame pointer: -8, -16... */
  readonly off: number;
  /** Its bytes from the highest address down, as the log prints them: m (misc), 0 (zero), r (spilled), ? (invalid). */
  readonly bytes: string;
  /** The register spilled there, if any. */
  readonly spilled?: RegJson;
}

export interface FrameJson {
  readonly frameno: number;
  readonly regs: readonly RegJson[];
  readonly stack: readonly StackSlotJson[];
}

export interface StateJson {
  readonly frames: readonly FrameJson[];
  /** Reference ids held. */
  readonly refs: readonly number[];
}

/** One step of the walk: the instruction processed and the state after it. */
export interface StepJson {
  readonly insn: number;
  readonly state: StateJson;
  readonly text: string;
}

const U64 = (1n << 64n) - 1n;
const DEFAULTS: Record<string, bigint> = {
  smin: -(1n << 63n), smax: (1n << 63n) - 1n, umin: 0n, umax: U64,
  smin32: -(1n << 31n), smax32: (1n << 31n) - 1n, umin32: 0n, umax32: (1n << 32n) - 1n,
};
const BOUNDS = Object.keys(DEFAULTS);

/** Splits at spaces (or commas) outside parentheses. */
function split(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const c of text) {
    if (c === "(") depth++;
    else if (c === ")") depth--;
    if (c === sep && depth === 0) {
      if (cur) out.push(cur);
      cur = "";
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

const hex = (v: bigint) => `0x${BigInt.asUintN(64, v).toString(16)}`;

function constScalar(v: bigint): ScalarJson {
  const u = BigInt.asUintN(64, v), s = BigInt.asIntN(64, v);
  const u32 = BigInt.asUintN(32, v), s32 = BigInt.asIntN(32, v);
  return {
    smin: `${s}`, smax: `${s}`, umin: `${u}`, umax: `${u}`, smin32: `${s32}`, smax32: `${s32}`, umin32: `${u32}`, umax32: `${u32}`,
    tnum: { value: hex(u), mask: "0x0" }, constant: `${s}`,
  };
}

/** A scalar from the log's `name=value` parts (smin=umin=5 gives both), unknown where omitted. */
function scalarFrom(parts: readonly string[]): { scalar: ScalarJson; rest: Record<string, string> } {
  const b: Record<string, bigint> = { ...DEFAULTS };
  let tnum = { value: 0n, mask: U64 };
  const rest: Record<string, string> = {};
  for (const p of parts) {
    const m = /^var_off=\((0x[0-9a-f]+); (0x[0-9a-f]+)\)$/.exec(p);
    if (m) {
      tnum = { value: BigInt(m[1]!), mask: BigInt(m[2]!) };
      continue;
    }
    const names = p.split("=");
    const value = names.pop()!;
    for (const n of names) {
      if (BOUNDS.includes(n) && /^-?(0x[0-9a-f]+|\d+)$/.test(value)) b[n] = value.startsWith("-") ? -BigInt(value.slice(1)) : BigInt(value);
      else rest[n] = value;
    }
  }
  const constant = tnum.mask === 0n ? { constant: `${BigInt.asIntN(64, tnum.value)}` } : {};
  return {
    scalar: { ...Object.fromEntries(BOUNDS.map((k) => [k, `${b[k]}`])), tnum: { value: hex(tnum.value), mask: hex(tnum.mask) }, ...constant } as unknown as ScalarJson,
    rest,
  };
}

/** One register's log text (after `R1=`) as data. */
export function parseRegister(name: string, text: string): RegJson {
  let t = text;
  const precise = t.startsWith("P");
  if (precise) t = t.slice(1);
  if (/^-?\d+$/.test(t)) return { name, type: "scalar", text, precise, fields: {}, scalar: constScalar(BigInt(t)) };
  const fp = /^fp(-?\d+)$/.exec(t);
  if (fp) return { name, type: "fp", text, precise, fields: { off: fp[1]! }, scalar: constScalar(0n) };
  const m = /^([A-Za-z_0-9]+)\((.*)\)$/.exec(t);
  if (!m) return { name, type: t, text, precise, fields: {}, scalar: constScalar(0n) };
  const { scalar, rest } = scalarFrom(split(m[2]!, ","));
  // A pointer with no variable part prints no bounds: its variable offset is 0.
  const noVar = m[1] !== "scalar" && !/(min|max|var_off)/.test(m[2]!);
  return { name, type: m[1]!, text, precise, fields: rest, scalar: noVar ? constScalar(0n) : scalar };
}

/** A state's log text (`verifyProgram(..., { logLevel: 2 }).states[i].state`, or `error.state`) as data. */
export function parseState(text: string): StateJson {
  const frames: { frameno: number; regs: RegJson[]; stack: StackSlotJson[] }[] = [];
  let frame = { frameno: 0, regs: [] as RegJson[], stack: [] as StackSlotJson[] };
  frames.push(frame);
  const refs: number[] = [];
  for (const tok of split(text.trim(), " ")) {
    const f = /^frame(\d+):$/.exec(tok);
    if (f) {
      const n = Number(f[1]);
      if (n === 0 && frame.frameno === 0 && frame.regs.length === 0 && frame.stack.length === 0) continue;
      frame = { frameno: n, regs: [], stack: [] };
      frames.push(frame);
      continue;
    }
    if (tok.startsWith("refs=")) {
      refs.push(...tok.slice(5).split(",").filter(Boolean).map(Number));
      continue;
    }
    const eq = tok.indexOf("=");
    if (eq < 0) continue;
    const key = tok.slice(0, eq), value = tok.slice(eq + 1);
    if (/^R\d+$/.test(key)) frame.regs.push(parseRegister(key, value));
    else if (/^fp-\d+$/.test(key)) {
      const off = Number(key.slice(2));
      // Slot bytes are always eight characters; a spilled constant prints as a number without leading zeros.
      if (/^[?rm0]{8}$/.test(value)) frame.stack.push({ off, bytes: value });
      else frame.stack.push({ off, bytes: "rrrrrrrr", spilled: parseRegister(key, value) });
    }
  }
  return { frames, refs };
}

/** verifyProgram at log level 2, with every step's state as data. */
export function verifySteps(program: Parameters<typeof verifyProgram>[0], options: VerifyOptions = {}): { result: VerifyResult; steps: StepJson[]; failing?: StepJson } {
  const result = verifyProgram(program, { ...options, logLevel: 2 });
  const steps = (result.states ?? []).map((s) => ({ insn: s.insn, text: s.state, state: parseState(s.state) }));
  const e = result.error;
  return { result, steps, ...(e?.state !== undefined ? { failing: { insn: e.insn, text: e.state, state: parseState(e.state) } } : {}) };
}
