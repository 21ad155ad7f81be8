/**
 * @fileoverview seccomp policies: the OCI / Docker profile JSON as runc and Docker read it,
 * checked field by field, and the plain rule set (FilterSpec) every policy becomes.
 */

import { BpfError } from "../errors.js";
import { ACTIONS, archByName, DOCKER_DEFAULT_CAPS, resolveArch, type ArchInfo, type SeccompAction } from "./constants.js";

/** A policy that is malformed; `field` is the path of the bad field (`syscalls[3].action`). */
export class SeccompPolicyError extends BpfError {
  readonly field: string;
  constructor(field: string, reason: string) {
    super("EINVAL", field ? `${field}: ${reason}` : reason);
    this.field = field;
  }
}

/** SCMP_CMP_* comparisons of a syscall argument. */
export type ArgOp = "ne" | "lt" | "le" | "eq" | "ge" | "gt" | "masked_eq";
export const ARG_OPS: Readonly<Record<string, ArgOp>> = {
  SCMP_CMP_NE: "ne", SCMP_CMP_LT: "lt", SCMP_CMP_LE: "le", SCMP_CMP_EQ: "eq", SCMP_CMP_GE: "ge", SCMP_CMP_GT: "gt",
  SCMP_CMP_MASKED_EQ: "masked_eq",
};

/** `args[index] op value`; for masked_eq, `(args[index] & value) == valueTwo`, as libseccomp has it. */
export interface ArgCondition {
  readonly index: number;
  readonly op: ArgOp;
  readonly value: bigint;
  readonly valueTwo: bigint;
}

/** One rule: when `syscall` is called and every condition holds, take `action`. */
export interface SeccompRule {
  readonly syscall: string;
  readonly action: SeccompAction;
  readonly args: readonly ArgCondition[];
}

/** A policy as plain data, ready to compile: what both the JSON form and the builder make. */
export interface FilterSpec {
  readonly defaultAction: SeccompAction;
  /** Architectures by OCI name; the first is the one tried first. */
  readonly architectures: readonly string[];
  readonly rules: readonly SeccompRule[];
  /** For a calling architecture not listed; KILL_PROCESS by default, as libseccomp's bad-arch action. */
  readonly badArchAction?: SeccompAction;
}

/** What decides Docker's `includes` / `excludes`: the native architecture, capabilities, kernel version. */
export interface PolicyContext {
  /** The native architecture (OCI name or x86_64/aarch64); SCMP_ARCH_X86_64 by default. */
  readonly arch?: string;
  /** The bounding capabilities of the process; Docker's default set by default. */
  readonly capabilities?: readonly string[];
  /** "major.minor"; when absent, every minKernel is taken as met. */
  readonly kernel?: string;
}

const EPERM = 1;
type Json = unknown;
const isObj = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Parses profile JSON text. Integers too large for a double (64-bit argument values) are
 * kept exact: they are read from the text before JSON.parse would round them.
 */
export function parsePolicyText(text: string, context: PolicyContext = {}): FilterSpec {
  const exact = text.replace(/"(?:[^"\\]|\\.)*"|(-?\d{16,})(?![.eE\d])/g, (m, big: string | undefined) => (big ? `"#${big}"` : m));
  let json: Json;
  try {
    json = JSON.parse(exact);
  } catch (e) {
    throw new SeccompPolicyError("", `not JSON: ${(e as Error).message}`);
  }
  return parsePolicy(json, context);
}

function actionOf(v: Json, field: string, errnoRet: Json, errnoField: string, fallbackErrno: number): SeccompAction {
  if (typeof v !== "string") throw new SeccompPolicyError(field, `expected an action name (SCMP_ACT_*), got ${describe(v)}`);
  const row = ACTIONS.find((r) => r.names.includes(v));
  if (!row) throw new SeccompPolicyError(field, `unknown action ${JSON.stringify(v)}`);
  let data: number | undefined;
  if (errnoRet !== undefined && errnoRet !== null) {
    if (typeof errnoRet !== "number" || !Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > 0xffff) {
      throw new SeccompPolicyError(errnoField, `expected an integer 0-65535, got ${describe(errnoRet)}`);
    }
    data = errnoRet;
  }
  if (!row.hasData) return { kind: row.kind };
  return { kind: row.kind, data: data ?? fallbackErrno };
}

function describe(v: Json): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return JSON.stringify(v.startsWith("#") ? v.slice(1) : v);
  return Array.isArray(v) ? "an array" : v === null ? "null" : typeof v === "object" ? "an object" : JSON.stringify(v);
}

function u64(v: Json, field: string): bigint {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER) return BigInt(v);
  if (typeof v === "string" && /^#\d+$/.test(v)) {
    const b = BigInt(v.slice(1));
    if (b <= 0xffffffffffffffffn) return b;
  }
  throw new SeccompPolicyError(field, `expected an unsigned 64-bit integer, got ${describe(v)}`);
}

function strings(v: Json, field: string): string[] {
  if (!Array.isArray(v)) throw new SeccompPolicyError(field, `expected an array of strings, got ${describe(v)}`);
  v.forEach((s, i) => {
    if (typeof s !== "string") throw new SeccompPolicyError(`${field}[${i}]`, `expected a string, got ${describe(s)}`);
  });
  return v as string[];
}

function kernelVersion(v: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

interface Filters { arches?: string[]; caps?: string[]; minKernel?: [number, number] }

function filters(v: Json, field: string): Filters {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new SeccompPolicyError(field, `expected an object, got ${describe(v)}`);
  const out: Filters = {};
  if (v.arches !== undefined && v.arches !== null) out.arches = strings(v.arches, `${field}.arches`);
  if (v.caps !== undefined && v.caps !== null) out.caps = strings(v.caps, `${field}.caps`);
  if (v.minKernel !== undefined && v.minKernel !== null && v.minKernel !== "") {
    const k = typeof v.minKernel === "string" ? kernelVersion(v.minKernel) : undefined;
    if (!k) throw new SeccompPolicyError(`${field}.minKernel`, `expected a kernel version like "4.8", got ${describe(v.minKernel)}`);
    out.minKernel = k;
  }
  return out;
}

const atLeast = (have: [number, number], want: [number, number]) => have[0] > want[0] || (have[0] === want[0] && have[1] >= want[1]);

/**
 * Checks a parsed profile and turns it into a FilterSpec. `architectures` is taken as it
 * is; without it, Docker's `archMap` entry for the native architecture; without either,
 * the native architecture alone (as runc's libseccomp filter starts). Docker's `includes`
 * and `excludes` (arches, caps, minKernel) are applied as Docker applies them.
 */
export function parsePolicy(json: Json, context: PolicyContext = {}): FilterSpec {
  if (!isObj(json)) throw new SeccompPolicyError("", `a seccomp profile is a JSON object, got ${describe(json)}`);
  const native: ArchInfo | undefined = resolveArch(context.arch ?? "SCMP_ARCH_X86_64");
  if (!native) throw new SeccompPolicyError("", `unknown native architecture ${JSON.stringify(context.arch)}`);
  const caps = new Set(context.capabilities ?? DOCKER_DEFAULT_CAPS);
  const kernel = context.kernel ? kernelVersion(context.kernel) : undefined;

  if (json.defaultAction === undefined) throw new SeccompPolicyError("defaultAction", "missing");
  if (json.defaultErrnoRet !== undefined && json.defaultErrnoRet !== null) {
    const d = json.defaultErrnoRet;
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0 || d > 0xffff) throw new SeccompPolicyError("defaultErrnoRet", `expected an integer 0-65535, got ${describe(d)}`);
  }
  const defaultAction = actionOf(json.defaultAction, "defaultAction", json.defaultErrnoRet, "defaultErrnoRet", EPERM);

  let architectures: string[] = [];
  if (json.architectures !== undefined && json.architectures !== null) {
    architectures = strings(json.architectures, "architectures");
    architectures.forEach((a, i) => {
      if (!archByName(a)) throw new SeccompPolicyError(`architectures[${i}]`, `unknown architecture ${JSON.stringify(a)}`);
    });
  }
  if (json.archMap !== undefined && json.archMap !== null) {
    if (!Array.isArray(json.archMap)) throw new SeccompPolicyError("archMap", `expected an array, got ${describe(json.archMap)}`);
    json.archMap.forEach((m, i) => {
      const f = `archMap[${i}]`;
      if (!isObj(m)) throw new SeccompPolicyError(f, `expected an object, got ${describe(m)}`);
      if (typeof m.architecture !== "string" || !archByName(m.architecture)) throw new SeccompPolicyError(`${f}.architecture`, `unknown architecture ${describe(m.architecture)}`);
      const subs = m.subArchitectures === undefined || m.subArchitectures === null ? [] : strings(m.subArchitectures, `${f}.subArchitectures`);
      subs.forEach((s, j) => {
        if (!archByName(s)) throw new SeccompPolicyError(`${f}.subArchitectures[${j}]`, `unknown architecture ${JSON.stringify(s)}`);
      });
      // Docker: the archMap entry of the native architecture gives the list, when architectures is empty.
      if (m.architecture === native.name && architectures.length === 0) architectures = [m.architecture, ...subs];
    });
  }
  if (architectures.length === 0) architectures = [native.name];

  const rules: SeccompRule[] = [];
  if (json.syscalls !== undefined && json.syscalls !== null) {
    if (!Array.isArray(json.syscalls)) throw new SeccompPolicyError("syscalls", `expected an array, got ${describe(json.syscalls)}`);
    json.syscalls.forEach((call, i) => {
      const f = `syscalls[${i}]`;
      if (!isObj(call)) throw new SeccompPolicyError(f, `expected an object, got ${describe(call)}`);
      let names: string[];
      if (call.names !== undefined && call.names !== null) names = strings(call.names, `${f}.names`);
      else if (typeof call.name === "string") names = [call.name];
      else throw new SeccompPolicyError(`${f}.names`, "missing");
      names.forEach((n, j) => {
        if (!/^[a-z_][a-z0-9_]*$/.test(n)) throw new SeccompPolicyError(`${f}.names[${j}]`, `not a syscall name: ${JSON.stringify(n)}`);
      });
      if (call.action === undefined) throw new SeccompPolicyError(`${f}.action`, "missing");
      const action = actionOf(call.action, `${f}.action`, call.errnoRet, `${f}.errnoRet`, EPERM);
      const args: ArgCondition[] = [];
      if (call.args !== undefined && call.args !== null) {
        if (!Array.isArray(call.args)) throw new SeccompPolicyError(`${f}.args`, `expected an array, got ${describe(call.args)}`);
        call.args.forEach((a, j) => {
          const af = `${f}.args[${j}]`;
          if (!isObj(a)) throw new SeccompPolicyError(af, `expected an object, got ${describe(a)}`);
          if (typeof a.index !== "number" || !Number.isInteger(a.index) || a.index < 0 || a.index > 5) {
            throw new SeccompPolicyError(`${af}.index`, `expected an argument index 0-5, got ${describe(a.index)}`);
          }
          if (typeof a.op !== "string" || !ARG_OPS[a.op]) throw new SeccompPolicyError(`${af}.op`, `unknown comparison ${describe(a.op)}`);
          const value = u64(a.value ?? 0, `${af}.value`);
          const valueTwo = u64(a.valueTwo ?? 0, `${af}.valueTwo`);
          args.push({ index: a.index, op: ARG_OPS[a.op]!, value, valueTwo });
        });
      }
      const inc = filters(call.includes, `${f}.includes`);
      const exc = filters(call.excludes, `${f}.excludes`);
      // Docker's setupSeccomp: excludes first, then includes.
      if (exc.arches?.includes(native.goArch)) return;
      if (exc.caps?.some((c) => caps.has(c))) return;
      if (exc.minKernel && kernel && atLeast(kernel, exc.minKernel)) return;
      if (inc.arches && !inc.arches.includes(native.goArch)) return;
      if (inc.caps && !inc.caps.every((c) => caps.has(c))) return;
      if (inc.minKernel && kernel && !atLeast(kernel, inc.minKernel)) return;
      // runc: several comparisons of one argument cannot all hold, so it adds each as a rule of its own (OR).
      const repeated = new Set(args.map((a) => a.index)).size < args.length;
      const sets = repeated ? args.map((a) => [a]) : [args];
      for (const syscall of names) for (const set of sets) rules.push({ syscall, action, args: set });
    });
  }
  return { defaultAction, architectures, rules };
}
