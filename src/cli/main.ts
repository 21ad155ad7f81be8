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
import { OBJECT_USAGE, objectCommand } from "./object.js";
import { RUN_USAGE, runCommand } from "./run.js";
import { SECCOMP_USAGE, seccompCommand } from "./seccomp.js";
import { VERIFY_USAGE, verifyCommand } from "./verify.js";
import { type Io, processIo } from "./io.js";

const USAGE = `usage: tsbpf <command> [options]

commands:
  disasm FILE.o        print programs as llvm-objdump -d does (--syntax kernel for bpftool's)
  disasm --raw FILE    print raw bytecode
  asm FILE.s -o OUT    assemble LLVM or kernel syntax into raw bytecode or an object
  run FILE.o           run a program on a packet, as bpftool prog run (--engine interp|jit|kernel)
  run --raw FILE.bin   run bytecode on a memory block and print r0 (--engine interp|jit|kernel)
  verify FILE.o        a verdict for each program, loaded alone (--engine kernel, --json)
  object FILE.o        programs and maps as libbpf sees them (--json)
  btf dump FILE        BTF as bpftool btf dump prints it (--format c|raw)
  kernel probe         what the running kernel supports, as bpftool feature probe
  seccomp compile|eval|run  seccomp profiles: compile to classic BPF, evaluate, run a command under one
  demo                 open, disassemble and run the bundled examples (npm start)
  filter EXPR -r IN    tcpdump's filter language over a capture (--count, -w OUT, -d|-dd|-ddd, -O, -y)

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
};

export async function main(argv: string[], io: Io = processIo): Promise<number> {
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await main(process.argv.slice(2));
}
