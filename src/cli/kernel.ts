/**
 * @fileoverview `tsbpf kernel probe`: what the running kernel supports (program
 * types, map types, helpers per program type, instruction set versions), in the
 * spirit of `bpftool feature probe kernel`; `--json` prints one JSON object.
 */

import { parseArgs } from "node:util";
import { kernelAvailable } from "../kernel/available.js";
import { probeKernel, type KernelFeatures, type Probe } from "../kernel/probe.js";

export const KERNEL_USAGE = `usage: tsbpf kernel probe [--json]

  probe    list the program types, map types, helpers and instruction set
           extensions this kernel supports, by loading tiny programs`;

const verdict = (p: Probe): string => (p.available ? "is available" : `is NOT available${p.detail ? ` (${p.detail})` : ""}`);

function printText(f: KernelFeatures, out: (line: string) => void): void {
  out(`Kernel ${f.release}`);
  out("");
  out("Scanning system call availability...");
  out("bpf() syscall is available");
  out("");
  out("Scanning eBPF program types...");
  for (const p of f.programTypes) out(`eBPF program_type ${p.name} ${verdict(p)}`);
  out("");
  out("Scanning eBPF map types...");
  for (const p of f.mapTypes) out(`eBPF map_type ${p.name} ${verdict(p)}`);
  out("");
  out("Scanning eBPF helper functions...");
  for (const [type, helpers] of Object.entries(f.helpers)) {
    out(`eBPF helpers supported for program type ${type}:`);
    if (helpers === null) out("\tCould not determine which helpers are available");
    else for (const h of helpers) out(`\t- ${h}`);
  }
  out("");
  out("Scanning miscellaneous eBPF features...");
  for (const p of f.misc) out(`${p.name[0]!.toUpperCase()}${p.name.slice(1)} ${verdict(p)}`);
}

/** Runs `tsbpf kernel ARGS`, printing through `out`; the exit code. */
export async function kernelCommand(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    out(KERNEL_USAGE);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== "probe") {
    out(KERNEL_USAGE);
    return 2;
  }
  const available = kernelAvailable();
  if (!available.ok) {
    out(values.json ? JSON.stringify({ available: false, reason: available.reason }) : `bpf() is not usable here: ${available.reason}`);
    return 1;
  }
  const features = probeKernel();
  if (values.json) out(JSON.stringify({ available: true, ...features }));
  else printText(features, out);
  return 0;
}
