/**
 * @fileoverview The `tsbpf` command line: a subcommand per job, in the idioms of
 * llvm-objdump, bpftool and tcpdump. Errors print one line and exit non-zero.
 */

import { pathToFileURL } from "node:url";
import { BpfError } from "../errors.js";
import { ASM_USAGE, asmCommand } from "./asm.js";
import { BTF_USAGE, btfCommand } from "./btf.js";
import { demoCommand } from "./demo.js";
import { DISASM_USAGE, disasmCommand } from "./disasm.js";
import { FILTER_USAGE, filterCommand } from "./filter.js";
import { KERNEL_USAGE, kernelCommand } from "./kernel.js";
import { JIT_USAGE, jitCommand } from "./jit.js";
import { OBJECT_USAGE, objectCommand } from "./object.js";
import { RUN_USAGE, runCommand } from "./run.js";
import { SECCOMP_USAGE, seccompCommand } from "./seccomp.js";
import { MAP_USAGE as OBJECT_MAP_USAGE, mapCommand as objectMapCommand } from "./run-map.js";
import { VERIFY_USAGE, verifyCommand } from "./verify.js";
import { type Io, processIo } from "./io.js";
import { LINK_USAGE, linkCommand } from "./bpftool-link.js";
import { MAP_USAGE, mapCommand } from "./bpftool-map.js";
import { CGROUP_USAGE, cgroupCommand, NET_USAGE, netCommand } from "./bpftool-net.js";
import { PROG_USAGE, progCommand } from "./bpftool-prog.js";
import { TRACE_USAGE, traceCommand } from "./trace.js";
import { CONFORMANCE_USAGE, conformanceCommand } from "./conformance.js";

const USAGE = `usage: tsbpf <command> [options]

commands:
  disasm FILE.o        print programs as llvm-objdump -d does (--syntax kernel for bpftool's)
  disasm --raw FILE    print raw bytecode
  asm FILE.s -o OUT    assemble LLVM or kernel syntax into raw bytecode or an object
  run FILE.o           run a program on a packet, as bpftool prog run (--engine interp|jit|kernel)
  run --raw FILE.bin   run bytecode on a memory block and print r0 (--engine interp|jit|kernel)
  map dump FILE.o NAME one map after a run, as bpftool map dump (tsbpf run's options)
  verify FILE.o        a verdict for each program, loaded alone (--engine kernel, --json)
  conformance PATH     run the BPF conformance suite's .data tests (--plugin: act as its plugin)
  object FILE.o        programs and maps as libbpf sees them (--json)
  btf dump FILE        BTF as bpftool btf dump prints it (--format c|raw)
  kernel probe         what the running kernel supports, as bpftool feature probe
  seccomp compile|eval|run  seccomp profiles: compile to classic BPF, evaluate, run a command under one
  jit FILE.o           what the JIT compiles each program to (--wat prints the module text)
  demo                 open, disassemble and run the bundled examples (npm start)
  filter EXPR -r IN    tcpdump's filter language over a capture (--count, -w OUT, -d|-dd|-ddd, -O, -y)
  prog|map|link|net|cgroup ...  bpftool's commands on the running kernel (-j, -p for JSON)
  trace FILE.o         load, attach every program, stream its ring/perf buffer records
  tools NAME -p PID    BCC-style tools on a running Node process (tsbpf tools help NAME)
  attach PID FILE.o    load hook programs into a running Node process and stream its maps

tsbpf COMMAND --help prints the command's options.`;

type Command = (args: string[], io: Io) => Promise<number>;

/** What `tsbpf COMMAND --help` prints. */
const USAGES: Record<string, string> = {
  disasm: DISASM_USAGE,
  asm: ASM_USAGE,
  demo: "usage: tsbpf demo\n  opens, disassembles and runs the bundled examples in the interpreter and, where bpf() works, the kernel (npm start)",
  object: OBJECT_USAGE,
  verify: VERIFY_USAGE,
  run: RUN_USAGE,
  btf: BTF_USAGE,
  kernel: KERNEL_USAGE,
  seccomp: SECCOMP_USAGE,
  filter: FILTER_USAGE,
  jit: JIT_USAGE,
  prog: PROG_USAGE,
  map: `${MAP_USAGE}\n${OBJECT_MAP_USAGE}`,
  link: LINK_USAGE,
  net: NET_USAGE,
  cgroup: CGROUP_USAGE,
  trace: TRACE_USAGE,
  conformance: CONFORMANCE_USAGE,
};

const COMMANDS: Record<string, Command> = {
  disasm: disasmCommand,
  asm: asmCommand,
  demo: demoCommand,
  object: objectCommand,
  verify: verifyCommand,
  run: (args, io) => runCommand(args, (line) => io.out(line)),
  btf: btfCommand,
  kernel: (args, io) => kernelCommand(args, (line) => io.out(line)),
  seccomp: seccompCommand,
  filter: filterCommand,
  jit: (args, io) => jitCommand(args, (line) => io.out(line)),
  prog: progCommand,
  // `map dump FILE.o NAME` runs an object in tsbpf; every other form is bpftool's, on the kernel.
  map: (args, io) => isObjectMapDump(args)
    ? objectMapCommand(args, (line) => io.out(line), (line) => io.err(line))
    : mapCommand(args, io),
  link: linkCommand,
  net: netCommand,
  cgroup: cgroupCommand,
  trace: traceCommand,
  conformance: (args, io) => conformanceCommand(args, io),
  tools: (args, io) => import("./tools.js").then((m) => m.toolsCommand(args, io)),
  attach: (args, io) => import("./attach.js").then((m) => m.attachCommand(args, io)),
};

const isObjectMapDump = (args: string[]) =>
  args[0] === "dump" && args[1] !== undefined && !["id", "pinned", "name"].includes(args[1]) && !args[1].startsWith("-");

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  argv = bpftoolGlobalsFirst(argv);
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" ? args[0] : undefined;
    io.out(topic !== undefined && USAGES[topic] ? USAGES[topic] : USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  // --help anywhere before a "--" asks for the command's usage, whatever else is given.
  const end = args.indexOf("--");
  if (command && (end < 0 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h")) {
    io.out(USAGES[name] ?? USAGE);
    return 0;
  }
  if (!command) {
    io.err(`tsbpf: unknown command ${name}\n${USAGE}`);
    return 2;
  }
  try {
    return await command(args, io);
  } catch (e) {
    if (e instanceof BpfError || (e as NodeJS.ErrnoException).code === "ENOENT" || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`tsbpf ${name}: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
}

/** bpftool takes -j, -p, -f before its object word (`bpftool -j prog show`): move them after it. */
function bpftoolGlobalsFirst(argv: string[]): string[] {
  let i = 0;
  while (i < argv.length && /^(-[jpf]+|--json|--pretty|--bpffs)$/.test(argv[i]!)) i++;
  if (i === 0 || !["prog", "map", "link", "net", "cgroup"].includes(argv[i] ?? "")) return argv;
  return [argv[i]!, ...argv.slice(0, i), ...argv.slice(i + 1)];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await main(process.argv.slice(2));
}
