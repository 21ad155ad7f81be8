/**
 * @fileoverview `tsbpf conformance`: the public BPF conformance suite (bpf_conformance).
 * Two roles:
 * - the runner: `tsbpf conformance tests/` reads the suite's `.data` files and runs each on
 *   tsbpf's engines, printing the runner's own lines (`"tests/add.data": Passed`) and total;
 * - the plugin: `tsbpf conformance --plugin [MEMORY]` (or bin/tsbpf-conformance-plugin, for
 *   `bpf_conformance_runner --plugin_path`) takes the program's bytes in hex on stdin and the
 *   memory in hex as its argument, runs it, and prints r0 in hex, as the suite's plugins do.
 * Programs run as uBPF runs them: r1 points at the memory, r2 holds its length.
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { BpfError, NotSupportedError } from "../errors.js";
import { parseConformanceTest, parseHexBytes, type ConformanceTest } from "../isa/conformance-data.js";
import { decodeRaw, insn, slotIndices } from "../isa/instruction.js";
import { createMap, mapTypeName, type MapTypeName } from "../maps/index.js";
import { helperId } from "../helpers/names.js";
import { installHelpers } from "../helpers/table.js";
import { HelperRegistry, Runtime, type RunMode } from "../runtime/index.js";
import type { Io } from "./io.js";

const ENGINES = ["interp", "jit", "kernel"] as const;
type Engine = (typeof ENGINES)[number];

export const CONFORMANCE_USAGE = `usage: tsbpf conformance PATH... [--engine interp|jit|kernel|all] [--mode checked|fast] [--json] [--quiet]
       tsbpf conformance --plugin [MEMORY-HEX] [--program HEX] [--engine interp|jit|kernel] [--debug]
  PATH            .data test files of the BPF conformance suite, or folders holding them (searched recursively)
  --engine NAME   who runs the programs (default jit); all runs every engine and fails a test on which any fails
  --mode MODE     checked (default: every access and jump checked, as for unverified code) or fast
  --json          {"results": [{"test", "engine", "result": "pass"|"fail"|"skip", "message"}], "passed", "total"}
  --quiet         print only failures and the total
  --plugin        act as the suite's plugin: program bytes in hex on stdin (or --program), memory in hex as
                  the argument; prints r0 in hex, or the error with exit status 1
exit status: 0 when every test passes (skipped tests excepted), 1 otherwise.`;

interface Outcome {
  readonly result: "pass" | "fail" | "skip";
  readonly message: string;
}

export async function conformanceCommand(args: string[], io: Io, stdin: () => string = readStdin): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      engine: { type: "string" },
      mode: { type: "string", default: "checked" },
      json: { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
      plugin: { type: "boolean", default: false },
      program: { type: "string" },
      debug: { type: "boolean", default: false },
    },
  });
  const mode = values.mode as RunMode;
  if (mode !== "checked" && mode !== "fast") throw new BpfError("EINVAL", `--mode ${values.mode} is not checked or fast`);
  if (values.plugin) return plugin(positionals, values.program ?? stdin(), engineOf(values.engine ?? "jit"), mode, values.debug, io);

  if (positionals.length === 0) {
    io.err(CONFORMANCE_USAGE);
    return 2;
  }
  const engines: Engine[] = values.engine === "all" ? [...ENGINES] : [engineOf(values.engine ?? "jit")];
  if (engines.includes("kernel")) await loadKernel();
  const files = positionals.flatMap(dataFiles);
  const results: { test: string; engine: Engine; result: Outcome["result"]; message: string }[] = [];
  let passed = 0;
  let total = 0;
  for (const file of files) {
    const name = relative(process.cwd(), file) || file;
    let test: ConformanceTest | undefined;
    let parseError = "";
    try {
      test = parseConformanceTest(readFileSync(file, "utf8"), name, { helperId });
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      parseError = e.message;
    }
    const outcomes = engines.map((engine): Outcome => test ? runTest(test, engine, mode) : { result: "skip", message: `Skipping: ${parseError}` });
    const worst = outcomes.find((o) => o.result === "fail") ?? outcomes.find((o) => o.result === "skip") ?? outcomes[0]!;
    outcomes.forEach((o, k) => results.push({ test: name, engine: engines[k]!, ...o }));
    if (worst.result !== "skip") total++;
    if (worst.result === "pass") passed++;
    if (!values.json && !(values.quiet && worst.result !== "fail")) {
      const detail = outcomes.map((o, k) => (o.result === "pass" ? "" : `${engines.length > 1 ? `${engines[k]}: ` : ""}${o.message}`)).filter((s) => s).join("; ");
      io.out(`${JSON.stringify(name)}: ${worst.result === "pass" ? "Passed" : worst.result === "skip" ? "Skipped" : "Failed"}${detail ? ` ${detail}` : ""}`);
    }
  }
  if (values.json) io.out(JSON.stringify({ results, passed, total }));
  else io.out(`Passed ${passed} out of ${total} tests.`);
  return passed === total ? 0 : 1;
}

/** One test on one engine, judged as the suite's runner judges a plugin's answer. */
export function runTest(test: ConformanceTest, engine: Engine, mode: RunMode): Outcome {
  let r0: bigint;
  try {
    r0 = execute(test, engine, mode);
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    if (test.error === undefined) return { result: "fail", message: `Plugin returned error: ${e.message}` };
    // The suite's error strings are each runtime's own words; any refusal matches "some error".
    return { result: "pass", message: "" };
  }
  if (test.result === undefined) return { result: "fail", message: `expected an error (${test.error || "any"}), got 0x${r0.toString(16)}` };
  if ((r0 & 0xffffffffn) !== (test.result & 0xffffffffn)) {
    return { result: "fail", message: `Plugin returned incorrect return value 0x${r0.toString(16)} expected 0x${test.result.toString(16)}` };
  }
  return { result: "pass", message: "" };
}

function execute(test: ConformanceTest, engine: Engine, mode: RunMode): bigint {
  // Set by loadKernel, so this command imports no kernel code until asked.
  if (engine === "kernel") return kernelRun(test);
  const runtime = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  const handles = new Map<string, number>();
  for (const m of test.maps) {
    const type = mapTypeName(m.type) as MapTypeName;
    handles.set(m.name, createMap(runtime.space, { name: m.name, type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries }).handle);
  }
  const slots = slotIndices(test.instructions);
  const mapAt = new Map<number, number>();
  for (const use of test.mapUses) {
    const handle = handles.get(use.name);
    if (handle === undefined) throw new BpfError("EINVAL", `insn ${use.index}: map ${use.name} is not declared in -- map`);
    mapAt.set(slots[use.index]!, handle);
  }
  const program = runtime.load(test.instructions, { engine, mode, resolveLoad: (_i, slot) => mapAt.get(slot) });
  return program.runRaw(test.memory).r0;
}

let kernelRun: (test: ConformanceTest) => bigint = () => {
  throw new NotSupportedError("the kernel engine", "the kernel backend is not loaded");
};

async function plugin(positionals: string[], programHex: string, engine: Engine, mode: RunMode, debug: boolean, io: Io): Promise<number> {
  if (engine === "kernel") await loadKernel();
  // The runner passes its plugin options as a second argument, often empty.
  const memory = parseHexBytes(positionals.filter((p) => p.trim() !== "")[0] ?? "");
  const bytes = parseHexBytes(programHex);
  const test: ConformanceTest = {
    name: "stdin", instructions: decodeRaw(bytes.subarray(0, bytes.length - (bytes.length % 8))), bytes, memory,
    result: undefined, error: undefined, maps: [], mapUses: [],
  };
  try {
    io.out(execute(test, engine, mode).toString(16));
    return 0;
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    io.out(debug ? `Failed to run program: ${e.message}` : e.message);
    return 1;
  }
}

async function loadKernel(): Promise<void> {
  const kernel = await import("../kernel/index.js");
  const { closeFd } = await import("../kernel/native.js");
  const here = kernel.kernelAvailable();
  if (!here.ok) throw new NotSupportedError("--engine kernel", here.reason);
  kernelRun = (test) => {
    const fds = new Map<string, number>();
    try {
      for (const m of test.maps) {
        fds.set(m.name, kernel.bpf.mapCreate({ mapType: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, name: m.name.slice(0, 15) }, `create map ${m.name}`));
      }
      const insns = test.instructions.slice();
      for (const use of test.mapUses) {
        const fd = fds.get(use.name);
        if (fd === undefined) throw new BpfError("EINVAL", `insn ${use.index}: map ${use.name} is not declared in -- map`);
        const i = insns[use.index]!;
        insns[use.index] = insn(i.opcode, i.dst, i.src, i.off, BigInt(fd));
      }
      return kernel.runInKernel(insns, test.memory.length ? { memory: test.memory } : {}).r0;
    } finally {
      for (const fd of fds.values()) closeFd(fd);
    }
  };
}

function engineOf(name: string): Engine {
  if (!(ENGINES as readonly string[]).includes(name)) throw new NotSupportedError(`conformance --engine ${name}`, `the engines are ${ENGINES.join(", ")} and all`);
  return name as Engine;
}

function dataFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((entry) => {
    const full = join(path, entry);
    return statSync(full).isDirectory() ? dataFiles(full) : entry.endsWith(".data") ? [full] : [];
  });
}



function readStdin(): string {
  try {
    return readFileSync(0, "utf8");
  } catch {
    return "";
  }
}
