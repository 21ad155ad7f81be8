/**
 * @fileoverview The kernel's own verifier selftests (tools/testing/selftests/bpf/progs/verifier_*.c,
 * built to .o files) judged by tsbpf's verifier and the running kernel's, program by program.
 *
 *   npx tsx scripts/selftests-compare.ts DIR_OR_FILE.o... [--json OUT.json] [--only NAME]... [--unpriv] [--messages]
 *
 * Each program is loaded alone, as root, with the prog flags its `__flag(...)` annotation asks
 * for (read from the object's BTF decl tags, as the selftests' test_loader reads them). The
 * summary counts agreements, false accepts (tsbpf accepts what the kernel rejects: soundness)
 * and false rejects, then lists every disagreement with both reasons. The annotations'
 * privileged expectation (`__success`/`__failure`) is shown too, since the selftests may be
 * newer or older than the running kernel. Needs bpf() (root): without it, it says so and stops.
 *
 * --unpriv compares unprivileged verdicts (the selftests' `__success_unpriv`/`__failure_unpriv`):
 * tsbpf with `privileged: false`, the kernel as uid/gid 65534 without capabilities (this process
 * drops root before it loads anything; kernel.unprivileged_bpf_disabled must be 0: as root,
 * `sysctl -w kernel.unprivileged_bpf_disabled=0`, and set it back after). Such a loader cannot
 * load BTF (BPF_BTF_LOAD needs CAP_BPF), so both sides judge the objects without it.
 *
 * Messages: where both reject, tsbpf's error (its verdict's `error`, as `tsbpf verify --json`
 * reports it) is compared with the kernel's (its log's last meaningful line), and each
 * program's `__msg("...")` expectations (`__msg_unpriv` with --unpriv) are matched against
 * both logs as test_loader's validate_msgs does: in order, each after the previous match,
 * `{{...}}` as a regular expression. The counts are always printed; --messages lists the
 * different messages grouped by tsbpf's, and the expectations tsbpf's log misses.
 */

import { closeSync, openSync, readdirSync, readFileSync, statSync, writeSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { basename, join } from "node:path";
import { openObject } from "../src/cli/object.js";
import { kernelAvailable } from "../src/kernel/index.js";
import { kernelBtf } from "../src/object/host.js";
import { verifyObject, type ProgramVerdict } from "../src/object/verify.js";
import type { Btf } from "../src/btf/types.js";
import type { ObjectSpec } from "../src/object/types.js";

/** The names `__flag(...)` may use, as test_loader parses them (a number is taken as is). */
const PROG_FLAGS: Record<string, number> = {
  BPF_F_STRICT_ALIGNMENT: 1 << 0,
  BPF_F_ANY_ALIGNMENT: 1 << 1,
  BPF_F_TEST_RND_HI32: 1 << 2,
  BPF_F_TEST_STATE_FREQ: 1 << 3,
  BPF_F_SLEEPABLE: 1 << 4,
  BPF_F_XDP_HAS_FRAGS: 1 << 5,
  BPF_F_TEST_REG_INVARIANTS: 1 << 7,
};

/** What a program's annotations say: test_loader's `comment:` decl tags on its FUNC. */
interface Annotations {
  description?: string;
  /** The privileged expectation: true for __success, false for __failure, unset when neither. */
  expectSuccess?: boolean;
  /** The unprivileged one: __success_unpriv / __failure_unpriv. */
  expectSuccessUnpriv?: boolean;
  auxiliary: boolean;
  flags: number;
  /** `__log_level(N)`, 0 when not given. */
  logLevel: number;
  /** `__msg(...)` patterns in BTF order, as test_loader pushes them (and `__msg_unpriv`). */
  msgs: string[];
  msgsUnpriv: string[];
}

function annotations(btf: Btf | undefined, func: string): Annotations {
  const a: Annotations = { auxiliary: false, flags: 0, logLevel: 0, msgs: [], msgsUnpriv: [] };
  if (!btf) return a;
  const ids = new Set(btf.byName(func, "func").map((t) => t.id));
  for (const t of btf.types) {
    if (t.kind !== "decl_tag" || !ids.has(t.type) || !t.name.startsWith("comment:")) continue;
    const [key, ...rest] = t.name.slice("comment:".length).split("=");
    const value = rest.join("=");
    if (key === "test_description") a.description = value;
    else if (key === "test_expect_success") a.expectSuccess = true;
    else if (key === "test_expect_failure") a.expectSuccess = false;
    else if (key === "test_expect_success_unpriv") a.expectSuccessUnpriv = true;
    else if (key === "test_expect_failure_unpriv") a.expectSuccessUnpriv = false;
    else if (key === "test_auxiliary") a.auxiliary = true;
    else if (key === "test_log_level") a.logLevel = Number(value);
    // `test_expect_msg=<counter>=<pattern>`: the counter only keeps equal patterns apart.
    else if (key === "test_expect_msg") a.msgs.push(rest.slice(1).join("="));
    else if (key === "test_expect_msg_unpriv") a.msgsUnpriv.push(rest.slice(1).join("="));
    else if (key === "test_prog_flags") {
      // `!FLAG` clears a flag test_loader would set by default; it sets none of ours.
      if (value.startsWith("!")) continue;
      a.flags |= PROG_FLAGS[value] ?? (/^(0x)?[0-9a-f]+$/i.test(value) ? Number(value) : 0);
    }
  }
  return a;
}

/** test_loader's compile_regex: verbatim text with `{{...}}` parts as POSIX extended regexes (REG_NEWLINE). */
function messagePattern(pattern: string): RegExp {
  let source = "";
  for (const [k, part] of pattern.split(/\{\{|\}\}/).entries()) source += k % 2 ? part : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(source, "m");
}

/** The first of `msgs` validate_msgs would not find in `log` (each searched after the previous match), or null when all match. */
function missingMessage(log: string, msgs: readonly string[]): string | null {
  let rest = log;
  for (const msg of msgs) {
    const m = messagePattern(msg).exec(rest);
    if (!m) return msg;
    rest = rest.slice(m.index + m[0].length);
  }
  return null;
}

interface Row {
  readonly file: string;
  readonly name: string;
  readonly description?: string;
  readonly section: string;
  readonly flags: number;
  readonly expectSuccess?: boolean;
  readonly kernel: { accepted: boolean; error: string | null; insns: number | null; refusedBy?: string };
  readonly tsbpf: { accepted: boolean; error: string | null; insns: number | null };
  /** The `__msg` expectations, and the first each log misses (null: all found). */
  readonly msgs?: readonly string[];
  readonly msgMissing?: { kernel: string | null; tsbpf: string | null };
}

const brief = (v: ProgramVerdict) => ({ accepted: v.accepted, error: v.error ?? null, insns: v.insnsProcessed ?? null, ...(v.refusedBy ? { refusedBy: v.refusedBy } : {}) });

/** The object as a loader without CAP_BPF hands it over: no BTF, so no func or line info. */
function withoutBtf(spec: ObjectSpec): ObjectSpec {
  const { btf: _, ...rest } = spec;
  return { ...rest, programs: spec.programs.map((p) => ({ ...p, funcInfo: [], lineInfo: [] })) } as ObjectSpec;
}

async function compareFile(path: string, targetBtf: Btf | undefined, only: readonly string[], unpriv: boolean): Promise<Row[]> {
  const opened: ObjectSpec = openObject(new Uint8Array(readFileSync(path)), basename(path));
  const spec = unpriv ? withoutBtf(opened) : opened;
  const rows: Row[] = [];
  for (const p of spec.programs) {
    if (only.length && !only.includes(p.name)) continue;
    const a = annotations(opened.btf, p.name);
    if (a.auxiliary) continue;
    p.flags |= a.flags;
    const msgs = unpriv && a.msgsUnpriv.length ? a.msgsUnpriv : a.msgs;
    // As test_loader: the annotated level, and libbpf's retry at level 1 gives a failure its log.
    const logged = msgs.length ? { logLevel: a.logLevel & 3 ? a.logLevel : a.logLevel | 1, log: true } : {};
    const options = { programs: [p.name], ...(targetBtf ? { targetBtf } : {}), ...(unpriv ? { privileged: false } : {}), ...logged };
    const [ours] = await verifyObject(spec, { ...options, engine: "tsbpf" });
    const [theirs] = await verifyObject(spec, { ...options, engine: "kernel" });
    rows.push({
      file: basename(path, ".o"), name: p.name, section: p.sectionName, flags: p.flags,
      ...(a.description !== undefined ? { description: a.description } : {}),
      ...((unpriv ? a.expectSuccessUnpriv : a.expectSuccess) !== undefined ? { expectSuccess: unpriv ? a.expectSuccessUnpriv : a.expectSuccess } : {}),
      kernel: brief(theirs!), tsbpf: brief(ours!),
      ...(msgs.length ? { msgs, msgMissing: { kernel: missingMessage(theirs!.log ?? "", msgs), tsbpf: missingMessage(ours!.log ?? "", msgs) } } : {}),
    });
  }
  return rows;
}

function objectFiles(args: readonly string[]): string[] {
  return args.flatMap((a) => (statSync(a).isDirectory() ? readdirSync(a).filter((f) => f.endsWith(".o")).sort().map((f) => join(a, f)) : [a]));
}

/** A kernel rejection without a verifier log (EPERM for an attach target, a missing kfunc): no verdict to compare. */
const kernelJudged = (r: Row) => r.kernel.accepted || r.kernel.insns !== null;

/** Where both reject: the same message or not; and the `__msg` expectations each log meets. */
function messageSummary(rows: readonly Row[], list: boolean): string[] {
  const both = rows.filter((r) => !r.kernel.accepted && !r.tsbpf.accepted);
  const different = both.filter((r) => r.kernel.error !== r.tsbpf.error);
  const byOurs = new Map<string, Row[]>();
  for (const r of different) {
    const key = r.tsbpf.error ?? "";
    byOurs.set(key, [...(byOurs.get(key) ?? []), r]);
  }
  const withMsgs = rows.filter((r) => r.msgs);
  const tsbpfMet = withMsgs.filter((r) => r.msgMissing!.tsbpf === null);
  const kernelMet = withMsgs.filter((r) => r.msgMissing!.kernel === null);
  const missed = withMsgs.filter((r) => r.msgMissing!.tsbpf !== null && r.msgMissing!.kernel === null);
  const out = [
    `messages, where both reject (${both.length}): ${both.length - different.length} same, ${different.length} different`,
    `__msg expectations (${withMsgs.length} programs): tsbpf's log meets ${tsbpfMet.length}, the kernel's ${kernelMet.length}; tsbpf misses ${missed.length} the kernel meets`,
  ];
  if (!list) return out;
  out.push("", "DIFFERENT MESSAGES (by tsbpf's message, most frequent first):");
  for (const [ours, rs] of [...byOurs].sort((x, y) => y[1].length - x[1].length)) {
    out.push(`  ${rs.length} x tsbpf: ${ours}`);
    for (const r of rs) out.push(`      ${r.file}/${r.name}: kernel: ${r.kernel.error}`);
  }
  out.push("", "__MSG EXPECTATIONS THE KERNEL'S LOG MEETS AND TSBPF'S DOES NOT:");
  for (const r of missed) out.push(`  ${r.file}/${r.name}: missing ${JSON.stringify(r.msgMissing!.tsbpf)}\n      tsbpf: ${r.tsbpf.accepted ? "accepted" : r.tsbpf.error}`);
  return out;
}

function summary(all: readonly Row[]): string[] {
  const rows = all.filter(kernelJudged);
  const unjudged = all.filter((r) => !kernelJudged(r));
  const falseAccepts = rows.filter((r) => r.tsbpf.accepted && !r.kernel.accepted);
  const falseRejects = rows.filter((r) => !r.tsbpf.accepted && r.kernel.accepted);
  const annotated = rows.filter((r) => r.expectSuccess !== undefined);
  const kernelOff = annotated.filter((r) => r.expectSuccess !== r.kernel.accepted);
  const line = (r: Row) => `  ${r.file}/${r.name}${r.description ? ` ("${r.description}")` : ""}\n      kernel: ${r.kernel.accepted ? "accepted" : `rejected: ${r.kernel.error}`}\n      tsbpf:  ${r.tsbpf.accepted ? "accepted" : `rejected: ${r.tsbpf.error}`}`;
  return [
    `${rows.length} programs in ${new Set(rows.map((r) => r.file)).size} objects: ${rows.length - falseAccepts.length - falseRejects.length} agree, ${falseAccepts.length} false accepts, ${falseRejects.length} false rejects`,
    ...(unjudged.length ? [`${unjudged.length} more the kernel refused before its verifier ran (not compared; tsbpf accepts ${unjudged.filter((r) => r.tsbpf.accepted).length} of them): ${unjudged.map((r) => `${r.file}/${r.name}`).join(", ")}`] : []),
    `kernel accepts ${rows.filter((r) => r.kernel.accepted).length}, rejects ${rows.filter((r) => !r.kernel.accepted).length}; the annotations' verdict differs from this kernel's on ${kernelOff.length} of ${annotated.length}`,
    ...(falseAccepts.length ? ["", "FALSE ACCEPTS (tsbpf accepts, the kernel rejects):", ...falseAccepts.map(line)] : []),
    ...(falseRejects.length ? ["", "FALSE REJECTS (tsbpf rejects, the kernel accepts):", ...falseRejects.map(line)] : []),
  ];
}

async function main(argv: string[]): Promise<number> {
  const unpriv = argv.includes("--unpriv");
  const messages = argv.includes("--messages");
  argv = argv.filter((a) => a !== "--unpriv" && a !== "--messages");
  const json = argv.indexOf("--json");
  const out = json >= 0 ? argv[json + 1] : undefined;
  const only: string[] = [];
  const inputs: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    if (json >= 0 && (k === json || k === json + 1)) continue;
    if (argv[k] === "--only") only.push(argv[++k]!);
    else inputs.push(argv[k]!);
  }
  if (inputs.length === 0) {
    console.error("usage: npx tsx scripts/selftests-compare.ts DIR_OR_FILE.o... [--json OUT.json] [--only PROG]... [--unpriv] [--messages]");
    return 2;
  }
  const here = kernelAvailable();
  if (!here.ok) {
    console.error(`selftests-compare: the kernel cannot be asked here: ${here.reason}`);
    return 2;
  }
  const targetBtf = kernelBtf();
  // Opened now: an unprivileged process may not be allowed to create it.
  const outFd = out ? openSync(out, "w") : undefined;
  if (unpriv) {
    const disabled = execFileSync("sysctl", ["-n", "kernel.unprivileged_bpf_disabled"], { encoding: "utf8" }).trim();
    if (disabled !== "0") {
      console.error(`selftests-compare --unpriv: kernel.unprivileged_bpf_disabled=${disabled}; as root: sysctl -w kernel.unprivileged_bpf_disabled=0 (and back to ${disabled} after)`);
      return 2;
    }
    // Dropping root's uid clears every capability (no keepcaps): the kernel sees an unprivileged loader.
    process.setgroups!([]);
    process.setgid!(65534);
    process.setuid!(65534);
  }
  const rows: Row[] = [];
  for (const f of objectFiles(inputs)) {
    try {
      rows.push(...(await compareFile(f, targetBtf, only, unpriv)));
    } catch (e) {
      console.error(`${basename(f)}: not compared: ${(e as Error).message}`);
    }
  }
  if (outFd !== undefined) {
    writeSync(outFd, JSON.stringify(rows, null, 1));
    closeSync(outFd);
  }
  for (const l of summary(rows)) console.log(l);
  console.log("");
  for (const l of messageSummary(rows.filter(kernelJudged), messages)) console.log(l);
  return rows.filter(kernelJudged).some((r) => r.tsbpf.accepted !== r.kernel.accepted) ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
