/**
 * @fileoverview Finding and running the LLVM tools the differential tests compare with.
 * Tests that need them skip, saying why, where they are not installed.
 */

import { execFileSync, spawnSync } from "node:child_process";

function has(tool: string): boolean {
  return spawnSync(tool, ["--version"], { stdio: "ignore" }).status === 0;
}

export const OBJDUMP = "llvm-objdump-19";
export const LLVM_MC = "llvm-mc-19";
export const objdumpMissing = has(OBJDUMP) ? false : `${OBJDUMP} is not installed (apt-get install llvm-19)`;
export const llvmMcMissing = has(LLVM_MC) ? false : `${LLVM_MC} is not installed (apt-get install llvm-19)`;

/** llvm-objdump's disassembly of a file, as `tsbpf disasm` must print it. */
export function objdump(path: string, extra: string[] = []): string {
  return execFileSync(OBJDUMP, ["-d", "--no-show-raw-insn", ...extra, path], { encoding: "utf8", maxBuffer: 64 << 20 });
}

/** Drops llvm-objdump's ` <symbol+off>` annotation, which the comparison leaves out. */
export const withoutAnnotation = (line: string) => line.replace(/ <[^<>]*>$/, "");
