/**
 * @fileoverview `tsbpf verify FILE.o --engine kernel`: loads each program of an object
 * into the kernel's verifier and reports, per program, whether it was accepted and with
 * what statistics; a rejection prints the verifier's log and exits 1. tsbpf's own
 * verifier will be `--engine tsbpf` once it exists.
 */

import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { BpfError, NotSupportedError } from "../errors.js";
import { loadObject } from "../object/index.js";
import type { Io } from "./io.js";
import { openObject } from "./object.js";

export const VERIFY_USAGE = "usage: tsbpf verify FILE.o [--prog NAME] [--engine kernel] [--log-level 1|2] [--log] [--pin-root DIR]\n" +
  "  --pin-root DIR   reuse and pin maps under DIR as loadObject's pinRoot (without it, no map is pinned or reused)";

export async function verifyCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      prog: { type: "string" },
      engine: { type: "string", default: "kernel" },
      "log-level": { type: "string", default: "1" },
      log: { type: "boolean", default: false },
      "pin-root": { type: "string" },
    },
  });
  if (positionals.length !== 1) {
    io.err(VERIFY_USAGE);
    return 2;
  }
  if (values.engine !== "kernel") throw new NotSupportedError(`verify --engine ${values.engine}`, "tsbpf's own verifier is not built yet; use --engine kernel");
  const logLevel = Number(values["log-level"]);
  if (![1, 2].includes(logLevel)) throw new BpfError("EINVAL", `--log-level ${values["log-level"]} is not 1 or 2`);
  const kernel = await import("../kernel/index.js");
  const here = kernel.kernelAvailable();
  if (!here.ok) throw new NotSupportedError("verify --engine kernel", here.reason);

  const path = positionals[0]!;
  const spec = openObject(new Uint8Array(readFileSync(path)), basename(path));
  const programs = values.prog === undefined ? spec.programs : spec.programs.filter((p) => p.name === values.prog);
  if (programs.length === 0) throw new BpfError("EINVAL", `${path}: no program ${values.prog} (${spec.programs.map((p) => p.name).join(", ")})`);
  let rejected = 0;
  // One program at a time, as libbpf would load them, so one rejection does not hide the others.
  for (const program of programs) {
    const skip = spec.programs.filter((p) => p !== program).map((p) => p.name);
    try {
      const object = await loadObject(spec, { engine: "kernel", skip, logLevel, pinRoot: values["pin-root"] ?? false });
      try {
        const loaded = object.programs.get(program.name) as import("../kernel/index.js").KernelProgram;
        const stats = loaded.log.split("\n").filter((l) => /^processed \d+ insns/.test(l)).at(-1) ?? "";
        io.out(`${program.name}: accepted by the kernel${stats ? ` (${stats})` : ""}`);
        if (values.log) io.out(loaded.log.trimEnd());
      } finally {
        object.close();
      }
    } catch (e) {
      if (!(e instanceof kernel.KernelVerifierError)) throw e;
      rejected++;
      io.out(`${program.name}: rejected by the kernel: ${e.message}`);
      io.out(e.log.trimEnd());
    }
  }
  return rejected === 0 ? 0 : 1;
}
