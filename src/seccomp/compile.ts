/**
 * @fileoverview A FilterSpec compiled to a classic seccomp filter, laid out as libseccomp
 * lays its filters out: the architecture check first, then one block per syscall number.
 */

import { BpfError } from "../errors.js";
import type { SockFilter } from "../cbpf/insn.js";
import { checkSeccompFilter } from "../cbpf/validate.js";
import { actionName, actionRet, archByName, X32_SYSCALL_BIT, type ArchInfo, type SeccompAction } from "./constants.js";
import { SeccompPolicyError, type ArgCondition, type FilterSpec, type SeccompRule } from "./policy.js";

/** struct seccomp_data offsets: nr, arch, then args[6] of 8 bytes each (little-endian words). */
const NR = 0, ARCH = 4, ARGS = 16;

export interface CompiledPolicy {
  readonly filter: SockFilter[];
  /** Names a listed architecture has no number for (skipped, as runc skips them). */
  readonly unknown: readonly { arch: string; syscall: string }[];
}

type Label = { pos: number };
type Target = Label | 0;
interface Item { code: number; k: number; jt?: Target; jf?: Target; ja?: Label; raw?: SockFilter }

/** A tiny assembler: instructions with label targets, resolved at the end. */
class Asm {
  readonly items: (Item | Label)[] = [];
  label(): Label { return { pos: -1 }; }
  place(l: Label): void { this.items.push(l); }
  stmt(code: number, k: number): void { this.items.push({ code, k: k >>> 0 }); }
  jmp(code: number, k: number, jt: Target, jf: Target): void { this.items.push({ code, k: k >>> 0, jt, jf }); }
  ja(to: Label): void { this.items.push({ code: 0x05, k: 0, ja: to }); }
  /** Instructions already resolved (their jumps are relative among themselves). */
  raw(fs: readonly SockFilter[]): void { for (const f of fs) this.items.push({ code: f.code, k: f.k, raw: f }); }
  ret(a: SeccompAction): void { this.stmt(0x06, actionRet(a)); }
  ldw(off: number): void { this.stmt(0x20, off); }
  finish(): SockFilter[] {
    let pos = 0;
    for (const it of this.items) {
      if ("pos" in it) it.pos = pos;
      else pos++;
    }
    const out: SockFilter[] = [];
    for (const it of this.items) {
      if ("pos" in it) continue;
      const at = out.length;
      const dist = (t: Target | undefined) => {
        if (!t) return 0;
        const d = t.pos - at - 1;
        if (d < 0 || d > 255) throw new BpfError("EINVAL", `seccomp compile: a jump of ${d} at insn ${at} does not fit`);
        return d;
      };
      if (it.raw) out.push(it.raw);
      else if (it.ja) out.push({ code: 0x05, jt: 0, jf: 0, k: it.ja.pos - at - 1 });
      else out.push({ code: it.code, jt: dist(it.jt), jf: dist(it.jf), k: it.k });
    }
    return out;
  }
}

const same = (a: SeccompAction, b: SeccompAction) => actionRet(a) === actionRet(b);

/** One 64-bit comparison: falls through when it holds, jumps to `fail` when not. */
function condition(asm: Asm, c: ArgCondition, fail: Label): void {
  const lo = ARGS + 8 * c.index, hi = lo + 4;
  const vhi = Number(c.value >> 32n), vlo = Number(c.value & 0xffffffffn);
  const pass = asm.label();
  const JEQ = 0x15, JGT = 0x25, JGE = 0x35;
  switch (c.op) {
    case "eq":
      asm.ldw(hi); asm.jmp(JEQ, vhi, 0, fail);
      asm.ldw(lo); asm.jmp(JEQ, vlo, 0, fail);
      break;
    case "ne":
      asm.ldw(hi); asm.jmp(JEQ, vhi, 0, pass);
      asm.ldw(lo); asm.jmp(JEQ, vlo, fail, 0);
      break;
    case "gt": case "ge":
      asm.ldw(hi); asm.jmp(JGT, vhi, pass, 0); asm.jmp(JEQ, vhi, 0, fail);
      asm.ldw(lo); asm.jmp(c.op === "gt" ? JGT : JGE, vlo, 0, fail);
      break;
    case "lt": case "le":
      asm.ldw(hi); asm.jmp(JGT, vhi, fail, 0); asm.jmp(JEQ, vhi, 0, pass);
      asm.ldw(lo); asm.jmp(c.op === "lt" ? JGE : JGT, vlo, fail, 0);
      break;
    case "masked_eq": {
      const dhi = Number(c.valueTwo >> 32n), dlo = Number(c.valueTwo & 0xffffffffn);
      asm.ldw(hi); asm.stmt(0x54, vhi); asm.jmp(JEQ, dhi, 0, fail);
      asm.ldw(lo); asm.stmt(0x54, vlo); asm.jmp(JEQ, dlo, 0, fail);
      break;
    }
  }
  asm.place(pass);
}

/** The rules of one syscall: conditional ones in order, then the first unconditional one, else the default. */
function syscallBody(rules: readonly SeccompRule[], dflt: SeccompAction): SockFilter[] {
  const asm = new Asm();
  for (const r of rules) {
    if (r.args.length === 0) continue;
    const next = asm.label();
    for (const c of r.args) condition(asm, c, next);
    asm.ret(r.action);
    asm.place(next);
  }
  asm.ret(rules.find((r) => r.args.length === 0)?.action ?? dflt);
  return asm.finish();
}

function rulesFor(spec: FilterSpec, arch: ArchInfo, unknown: { arch: string; syscall: string }[]): Map<number, SeccompRule[]> {
  const table = arch.syscalls!;
  const byNr = new Map<number, SeccompRule[]>();
  for (const r of spec.rules) {
    // runc leaves out rules that only repeat the default.
    if (same(r.action, spec.defaultAction)) continue;
    const nr = Object.prototype.hasOwnProperty.call(table, r.syscall) ? table[r.syscall] : undefined;
    if (nr === undefined) {
      unknown.push({ arch: arch.name, syscall: r.syscall });
      continue;
    }
    (byNr.get(nr) ?? byNr.set(nr, []).get(nr)!).push(r);
  }
  return byNr;
}

const allowsLike = (a: SeccompAction) => a.kind === "allow" || a.kind === "log";

/**
 * Compiles a policy to a classic seccomp filter (checked with the kernel's
 * seccomp_check_filter rules before it is returned). Architectures tsbpf has no syscall
 * table for get the default action, which is refused when the default lets calls through
 * (the rules could not be enforced there).
 */
export function compilePolicy(spec: FilterSpec): CompiledPolicy {
  const asm = new Asm();
  const unknown: { arch: string; syscall: string }[] = [];
  const badArch = spec.badArchAction ?? { kind: "kill_process" };
  const listed = spec.architectures.map((name, i) => {
    const a = archByName(name);
    if (!a) throw new SeccompPolicyError(`architectures[${i}]`, `unknown architecture ${JSON.stringify(name)}`);
    return a;
  });
  // x32 shares x86_64's AUDIT_ARCH: it is told apart by the number, inside the x86_64 section.
  const x32 = listed.some((a) => a.name === "SCMP_ARCH_X32");
  const sections = listed.filter((a, i) => a.name !== "SCMP_ARCH_X32" && listed.findIndex((b) => b.audit === a.audit) === i);
  if (x32 && !sections.some((a) => a.name === "SCMP_ARCH_X86_64")) sections.push(archByName("SCMP_ARCH_X86_64")!);
  const untabled = [...sections.filter((a) => !a.syscalls), ...(x32 ? [archByName("SCMP_ARCH_X32")!] : [])];
  untabled.forEach((a) => {
    if (allowsLike(spec.defaultAction) && spec.rules.length > 0) {
      throw new SeccompPolicyError(`architectures[${spec.architectures.indexOf(a.name)}]`, `tsbpf has no syscall table for ${a.name}, and the default action ${actionName(spec.defaultAction)} would let every call through`);
    }
  });
  const labels = sections.map(() => asm.label());
  asm.ldw(ARCH);
  sections.forEach((a, i) => {
    const skip = asm.label();
    asm.jmp(0x15, a.audit, 0, skip);
    asm.ja(labels[i]!);
    asm.place(skip);
  });
  asm.ret(badArch);
  sections.forEach((a, i) => {
    asm.place(labels[i]!);
    if (!a.syscalls) {
      asm.ret(spec.defaultAction);
      return;
    }
    asm.ldw(NR);
    if (a.name === "SCMP_ARCH_X86_64") {
      const native = asm.label();
      asm.jmp(0x35, X32_SYSCALL_BIT, 0, native);
      asm.ret(x32 ? spec.defaultAction : badArch);
      asm.place(native);
    }
    const byNr = rulesFor(spec, a, unknown);
    for (const nr of [...byNr.keys()].sort((x, y) => x - y)) {
      const body = syscallBody(byNr.get(nr)!, spec.defaultAction);
      const after = asm.label();
      if (body.length <= 255) {
        asm.jmp(0x15, nr, 0, after);
      } else {
        const into = asm.label();
        asm.jmp(0x15, nr, into, 0);
        asm.ja(after);
        asm.place(into);
      }
      asm.raw(body);
      asm.place(after);
    }
    asm.ret(spec.defaultAction);
  });
  const filter = asm.finish();
  checkSeccompFilter(filter);
  return { filter, unknown };
}
