/**
 * @fileoverview `tsbpf seccomp compile|eval|run`: a seccomp profile (OCI/Docker JSON) compiled
 * to a classic filter, evaluated on one syscall in tsbpf, or installed for real around a command.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { constants as osConstants, release } from "node:os";
import { parseArgs } from "node:util";
import { encodeCbpf } from "../cbpf/insn.js";
import { formatC, formatListing } from "../cbpf/text.js";
import { BpfError } from "../errors.js";
import { runSeccomp } from "../kernel/seccomp.js";
import { actionName, actionOf, resolveArch, type ArchInfo } from "../seccomp/constants.js";
import { compilePolicy } from "../seccomp/compile.js";
import { SeccompEvaluator } from "../seccomp/evaluate.js";
import { parsePolicyText, type PolicyContext } from "../seccomp/policy.js";
import type { Io } from "./io.js";

export const SECCOMP_USAGE = `usage: tsbpf seccomp compile PROFILE.json [-d] [-o OUT.bin] [--arch A] [--cap CAP]...
       tsbpf seccomp eval PROFILE.json --syscall NAME|NR [--arg [N=]V]... [--arch A] [--engine interp|jit]
       tsbpf seccomp run --policy PROFILE.json [--arch A] [--cap CAP]... -- CMD [ARGS...]

  compile  the classic filter, as a C array of sock_filter (the default), listed as tcpdump -d
           would (-d), or as raw struct sock_filter bytes (-o)
  eval     the action the filter takes on one syscall (struct seccomp_data), run in tsbpf
  run      starts CMD under the filter (no_new_privs, then SECCOMP_SET_MODE_FILTER); exits
           with CMD's status, 128+N when signal N ended it
  PROFILE is an OCI or Docker seccomp profile; Docker's includes/excludes are judged for
  --arch (the host's by default) and the capabilities given by --cap (Docker's default set
  when none is given).`;

const hostArch = (): string => (process.arch === "arm64" ? "SCMP_ARCH_AARCH64" : "SCMP_ARCH_X86_64");

function context(values: { arch?: string; cap?: string[] }): PolicyContext & { archInfo: ArchInfo } {
  const arch = values.arch ?? hostArch();
  const archInfo = resolveArch(arch);
  if (!archInfo) throw new BpfError("EINVAL", `--arch: unknown architecture ${JSON.stringify(arch)}`);
  const caps = values.cap?.map((c) => (c.toUpperCase().startsWith("CAP_") ? c.toUpperCase() : `CAP_${c.toUpperCase()}`));
  return { arch: archInfo.name, archInfo, kernel: release(), ...(caps ? { capabilities: caps } : {}) };
}

function load(path: string, ctx: PolicyContext) {
  const spec = parsePolicyText(readFileSync(path, "utf8"), ctx);
  return compilePolicy(spec);
}

/** `0x10`, `16`, `-1` (as u64) to a bigint. */
function parseValue(s: string, what: string): bigint {
  try {
    const v = BigInt(s.trim());
    return BigInt.asUintN(64, v);
  } catch {
    throw new BpfError("EINVAL", `${what}: not a number: ${JSON.stringify(s)}`);
  }
}

export async function seccompCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  const options = {
    d: { type: "boolean", short: "d" }, o: { type: "string", short: "o" }, arch: { type: "string" }, cap: { type: "string", multiple: true },
    syscall: { type: "string" }, arg: { type: "string", multiple: true }, engine: { type: "string" }, policy: { type: "string" },
  } as const;
  if (sub === "compile") {
    const { values, positionals } = parseArgs({ args: rest, options, allowPositionals: true });
    if (positionals.length !== 1) throw new BpfError("EINVAL", "compile takes one profile");
    const { filter, unknown } = load(positionals[0]!, context(values));
    if (values.o) writeFileSync(values.o, encodeCbpf(filter));
    // tcpdump's forms, from the classic text module: -d its listing, else -dd's C array.
    else io.out((values.d ? formatListing(filter) : formatC(filter)).replace(/\n$/, ""));
    if (unknown.length) io.err(`tsbpf seccomp: ${unknown.length} syscall names unknown on their architecture, skipped as runc skips them`);
    return 0;
  }
  if (sub === "eval") {
    const { values, positionals } = parseArgs({ args: rest, options, allowPositionals: true });
    if (positionals.length !== 1) throw new BpfError("EINVAL", "eval takes one profile");
    if (!values.syscall) throw new BpfError("EINVAL", "eval needs --syscall NAME or NR");
    const ctx = context(values);
    const table = ctx.archInfo.syscalls;
    const byName = table && Object.prototype.hasOwnProperty.call(table, values.syscall) ? table[values.syscall] : undefined;
    const nr = byName ?? (/^\d+$/.test(values.syscall) ? Number(values.syscall) : undefined);
    if (nr === undefined) throw new BpfError("EINVAL", `--syscall: ${values.syscall} is not a syscall of ${ctx.archInfo.name}`);
    const args: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];
    let next = 0;
    for (const a of values.arg ?? []) {
      const m = /^(\d)=(.*)$/.exec(a);
      const index = m ? Number(m[1]) : next;
      if (index > 5) throw new BpfError("EINVAL", `--arg ${a}: syscalls have arguments 0-5`);
      args[index] = parseValue(m ? m[2]! : a, `--arg ${a}`);
      next = index + 1;
    }
    const engine = values.engine ?? "interp";
    if (engine !== "interp" && engine !== "jit") throw new BpfError("EINVAL", `--engine: interp or jit, not ${engine}`);
    const { filter } = load(positionals[0]!, ctx);
    const ret = new SeccompEvaluator(filter, engine).run({ nr, arch: ctx.archInfo.audit, args });
    io.out(`${values.syscall}: ${actionName(actionOf(ret))} (0x${ret.toString(16).padStart(8, "0")})`);
    return 0;
  }
  if (sub === "run") {
    const end = rest.indexOf("--");
    const own = end < 0 ? rest : rest.slice(0, end);
    const command = end < 0 ? [] : rest.slice(end + 1);
    const { values } = parseArgs({ args: own, options, allowPositionals: false });
    if (!values.policy) throw new BpfError("EINVAL", "run needs --policy PROFILE.json");
    if (command.length === 0) throw new BpfError("EINVAL", "run needs a command after --");
    const { filter } = load(values.policy, context(values));
    const r = await runSeccomp(filter, command[0]!, command.slice(1));
    if (r.signal) {
      io.err(`tsbpf seccomp: ${command[0]} killed by ${r.signal}`);
      return 128 + (osConstants.signals[r.signal] ?? 0);
    }
    return r.code ?? 1;
  }
  io.err(SECCOMP_USAGE);
  return 2;
}
