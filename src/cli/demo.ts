/**
 * @fileoverview `tsbpf demo` (npm start): the firewall example over its capture, as
 * `tsbpf run examples/xdp_firewall.bpf.o --pcap examples/traffic.pcap` prints it, then
 * the same packets through the kernel compared with the interpreter where bpf() is
 * available, then the other bundled examples and the commands that run them.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../object/index.js";
import type { Io } from "./io.js";
import { runCapture } from "./run-capture.js";

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));

/** Each packet example and the capture it runs on. */
export const EXAMPLE_CAPTURES: Readonly<Record<string, string>> = {
  "xdp_firewall.bpf.o": "traffic.pcap",
  "xdp_flow_counter.bpf.o": "traffic.pcap",
  "xdp_dns_filter.bpf.o": "dns.pcapng",
  "xdp_lb.bpf.o": "lb.pcap",
  "tc_mark_ratelimit.bpf.o": "traffic.pcap",
  "xdp_ports.bpf.o": "traffic.pcap",
};

export async function demoCommand(args: string[], io: Io): Promise<number> {
  const dir = args[0] ?? EXAMPLES;
  const rel = (f: string) => relative(process.cwd(), join(dir, f)) || join(dir, f);
  const spec = loadObjectSpec(new Uint8Array(readFileSync(join(dir, "xdp_firewall.bpf.o"))), { name: "xdp_firewall.bpf.o" });
  const program = spec.programs[0]!;
  const capture = join(dir, EXAMPLE_CAPTURES["xdp_firewall.bpf.o"]!);
  io.out(`$ tsbpf run ${rel("xdp_firewall.bpf.o")} --pcap ${rel("traffic.pcap")}`);
  const base = { spec, program, capture, compare: false, json: false, mode: "checked" as const };
  let code = await runCapture({ ...base, engines: ["interp"] }, (l) => io.out(l), (l) => io.err(l));
  const kernel = await import("../kernel/index.js");
  const here = kernel.kernelAvailable();
  io.out("");
  io.out(`$ tsbpf run ${rel("xdp_firewall.bpf.o")} --pcap ${rel("traffic.pcap")} --compare interp,kernel`);
  if (here.ok) code ||= await runCapture({ ...base, engines: ["interp", "kernel"], compare: true }, (l) => io.out(l), (l) => io.err(l));
  else io.out(`(not run: ${here.reason})`);
  io.out("");
  io.out("More examples (each C source beside its object):");
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".bpf.o")).sort()) {
    const cap = EXAMPLE_CAPTURES[f];
    const s = loadObjectSpec(new Uint8Array(readFileSync(join(dir, f))), { name: f });
    const what = s.programs.map((p) => `${p.name} (${p.type})`).join(", ");
    io.out(cap ? `  tsbpf run ${rel(f)} --pcap ${rel(cap)}   # ${what}` : `  tsbpf disasm -S ${rel(f)}   # ${what}`);
  }
  io.out("In a checkout, tsbpf is `node --import tsx src/cli/main.ts`.");
  return code;
}
