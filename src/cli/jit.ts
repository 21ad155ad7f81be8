/**
 * @fileoverview `tsbpf jit`: what the JIT makes of an object's programs, a summary per program
 * (module size, compile time, inlined calls, fallbacks) or, with --wat, the module in text form.
 */

import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { BpfError, NotSupportedError } from "../errors.js";
import { decodeRaw } from "../isa/instruction.js";
import { toWat } from "../jit/wat.js";
import { loadObject } from "../object/index.js";
import { RUN_TYPES, Runtime, type RuntimeProgram } from "../runtime/index.js";
import { OPEN_OPTIONS, OPEN_USAGE, openObject } from "./object.js";

export const JIT_USAGE = `usage: tsbpf jit FILE.o [--prog NAME] [--wat] [--fast] [--json] ${OPEN_USAGE}
       tsbpf jit --raw FILE.bin [--wat] [--fast] [--json]
  compiles each program (or NAME) to WebAssembly as "--engine jit" runs it and prints the
  module's size, compile time, inlined calls and any fallback to the interpreter; --wat
  prints the module in text form instead. --fast compiles as fast mode runs (no budget).`;

export async function jitCommand(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...OPEN_OPTIONS,
      prog: { type: "string" },
      raw: { type: "boolean", default: false },
      wat: { type: "boolean", default: false },
      fast: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  if (positionals.length !== 1) throw new BpfError("EINVAL", `expected one program file\n${JIT_USAGE}`);
  const path = positionals[0]!;
  const file = new Uint8Array(await readFile(path));
  const mode = values.fast ? "fast" : "checked";
  const shown: { name: string; program: RuntimeProgram }[] = [];
  let close = () => {};
  if (values.raw) {
    shown.push({ name: basename(path), program: new Runtime().load(decodeRaw(file), { engine: "jit", mode }) });
  } else {
    const spec = openObject(file, basename(path), values);
    const wanted = values.prog;
    if (wanted !== undefined && !spec.programs.some((p) => p.name === wanted)) {
      throw new BpfError("EINVAL", `no program named ${wanted} in ${basename(path)} (${spec.programs.map((p) => p.name).join(", ")})`);
    }
    // The programs the runtime can run, all loaded so prog arrays and maps are as at a run.
    const skip = spec.programs.filter((p) => !(p.type in RUN_TYPES)).map((p) => p.name);
    if (wanted !== undefined && skip.includes(wanted)) throw new NotSupportedError(`compiling ${spec.programs.find((p) => p.name === wanted)!.type} programs`, "the runtime cannot run this program type");
    const object = await loadObject(spec, { engine: "jit", mode, skip });
    close = () => object.close();
    for (const p of spec.programs) {
      if (skip.includes(p.name) || (wanted !== undefined && p.name !== wanted)) continue;
      const program = object.programs.get(p.name);
      if (program) shown.push({ name: p.name, program });
    }
  }
  try {
    const rows = shown.map(({ name, program }) => {
      const c = program.jitCode!;
      return {
        program: name, slots: c.prog.slots, compiled: c.fallback === undefined, fallback: c.fallback ?? null,
        module_bytes: c.bytes, compile_ms: Math.round(c.compileMs * 100) / 100, budgeted: c.budgeted,
        inlined_calls: c.inlined.length, dispatch_loops: c.dispatched.length, module: c.module,
      };
    });
    if (values.wat) {
      for (const r of rows) {
        if (rows.length > 1) out(`;; ${r.program}`);
        if (!r.module) out(`;; ${r.program} runs in the interpreter: ${r.fallback}`);
        else out(toWat(r.module));
      }
    } else if (values.json) {
      out(JSON.stringify({ programs: rows.map(({ module: _, ...r }) => r) }, null, 2));
    } else {
      for (const r of rows) {
        out(r.compiled
          ? `${r.program}: ${r.slots} slots, ${r.module_bytes} bytes of WebAssembly in ${r.compile_ms} ms, ${r.inlined_calls} calls inlined${r.dispatch_loops ? `, ${r.dispatch_loops} functions as a dispatch loop (irreducible)` : ""}${r.budgeted ? ", budgeted" : ""}`
          : `${r.program}: runs in the interpreter: ${r.fallback}`);
      }
    }
  } finally {
    close();
  }
  return 0;
}
