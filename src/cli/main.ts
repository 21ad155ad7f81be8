/**
 * @fileoverview The `tsbpf` command line: a subcommand per job, in the idioms of
 * llvm-objdump, bpftool and tcpdump. Errors print one line and exit non-zero.
 */

import { pathToFileURL } from "node:url";
import { BpfError } from "../errors.js";
import { asmCommand } from "./asm.js";
import { btfCommand } from "./btf.js";
import { demoCommand } from "./demo.js";
import { disasmCommand } from "./disasm.js";
import { kernelCommand } from "./kernel.js";
import { objectCommand } from "./object.js";
import { runCommand } from "./run.js";
import { verifyCommand } from "./verify.js";
import { type Io, processIo } from "./io.js";

const USAGE = `usage: tsbpf <command> [options]

commands:
  disasm FILE.o        print programs as llvm-objdump -d does (--syntax kernel for bpftool's)
  disasm --raw FILE    print raw bytecode
  asm FILE.s -o OUT    assemble LLVM or kernel syntax into raw bytecode or an object
  run FILE.o           run a program on a packet, as bpftool prog run (--engine interp|kernel)
  run --raw FILE.bin   run bytecode on a memory block and print r0 (--engine interp|kernel)
  verify FILE.o        load each program into the kernel's verifier (--engine kernel)
  object FILE.o        programs and maps as libbpf sees them (--json)
  btf dump FILE        BTF as bpftool btf dump prints it (--format c|raw)
  kernel probe         what the running kernel supports, as bpftool feature probe
  demo                 open, disassemble and run the bundled examples (npm start)`;

type Command = (args: string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  disasm: disasmCommand,
  asm: asmCommand,
  demo: demoCommand,
  object: objectCommand,
  verify: verifyCommand,
  run: (args, io) => runCommand(args, (line) => io.out(line)),
  btf: btfCommand,
  kernel: (args, io) => kernelCommand(args, (line) => io.out(line)),
};

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.out(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
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
