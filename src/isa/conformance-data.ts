/**
 * @fileoverview The public BPF conformance suite's test files (bpf_conformance's `.data`):
 * sections introduced by `-- asm`, `-- raw`, `-- mem`, `-- result`, `-- error` and `-- map`,
 * read as the suite's runner reads them. A test passes when the program, run with r1 pointing
 * at the memory and r2 holding its length, returns the result in r0's low 32 bits (the runner
 * compares 32 bits), or fails with the error when one is given.
 */

import { AssemblerError } from "../errors.js";
import { assembleConformance, type ConformanceAsmOptions } from "./conformance-asm.js";
import { decodeRaw, encode, type Instruction } from "./instruction.js";

/** A map a test declares: `name type key_size value_size max_entries`. */
export interface ConformanceMapDecl {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
}

export interface ConformanceTest {
  readonly name: string;
  readonly instructions: Instruction[];
  /** The bytecode as the runner sends it to a plugin. */
  readonly bytes: Uint8Array;
  readonly memory: Uint8Array;
  /** The expected r0 (the runner compares its low 32 bits); undefined when only an error is expected. */
  readonly result: bigint | undefined;
  /** The error the runtime should report instead of a result; "" for "some error". */
  readonly error: string | undefined;
  readonly maps: ConformanceMapDecl[];
  /** Which instruction loads which declared map (`lddw %r1, map_by_fd(name)`). */
  readonly mapUses: { index: number; name: string }[];
}

type Section = "ignore" | "asm" | "raw" | "mem" | "result" | "error" | "map";

/** Reads one test file. Throws AssemblerError (with the file's line) on a listing it cannot encode. */
export function parseConformanceTest(text: string, name: string, options: Omit<ConformanceAsmOptions, "fileName"> = {}): ConformanceTest {
  let section: Section = "ignore";
  const asm: string[] = [];
  const raw: string[] = [];
  const mem: string[] = [];
  const maps: ConformanceMapDecl[] = [];
  let result: string | undefined;
  let error: string | undefined;
  text.split(/\r?\n/).forEach((line, n) => {
    const directive = /^\s*--\s*(.*)$/.exec(line);
    if (directive) {
      section = sectionOf(directive[1]!.trim());
      if (section === "error") error ??= "";
      // The listing keeps its own line numbers, so errors point into the file.
      return;
    }
    switch (section) {
      case "asm": asm[n] = line; break;
      case "raw": raw.push(line); break;
      case "mem": mem.push(line); break;
      case "result": if (line.trim() !== "") result = line.trim(); break;
      case "error": if (line.trim() !== "") error = line.trim(); break;
      case "map": {
        const t = line.replace(/#.*$/, "").trim().split(/\s+/);
        if (t.length === 5) maps.push({ name: t[0]!, type: Number(t[1]), keySize: Number(t[2]), valueSize: Number(t[3]), maxEntries: Number(t[4]) });
        break;
      }
    }
  });

  let instructions: Instruction[];
  let mapUses: { index: number; name: string }[] = [];
  const words = raw.join(" ").split(/\s+/).filter((w) => w !== "");
  if (words.length > 0) {
    const bytes = new Uint8Array(words.length * 8);
    const view = new DataView(bytes.buffer);
    words.forEach((w, k) => view.setBigUint64(k * 8, BigInt.asUintN(64, BigInt(w)), true));
    instructions = decodeRaw(bytes);
  } else {
    const listing = Array.from(asm, (l) => l ?? "").join("\n");
    ({ instructions, mapUses } = assembleConformance(listing, { ...options, fileName: name }));
  }
  if (result === undefined && error === undefined) throw new AssemblerError(1, 1, "the test gives neither a result nor an error", name);
  return {
    name,
    instructions,
    bytes: encode(instructions),
    memory: parseHexBytes(mem.join(" ")),
    result: result === undefined ? undefined : BigInt.asUintN(64, BigInt(result)),
    error,
    maps,
    mapUses,
  };
}

function sectionOf(directive: string): Section {
  if (directive.startsWith("asm")) return "asm";
  if (directive.startsWith("raw")) return "raw";
  if (directive.startsWith("mem")) return "mem";
  if (directive.startsWith("result")) return "result";
  if (directive.startsWith("error")) return "error";
  if (directive.startsWith("map")) return "map";
  // "-- no register offset", "-- c" and the like describe the test; the runner skips them.
  return "ignore";
}

/** Bytes written as hex pairs separated by spaces, as the suite writes memory and programs. */
export function parseHexBytes(text: string): Uint8Array {
  return Uint8Array.from(text.split(/\s+/).filter((w) => /^[0-9a-f]{1,2}$/i.test(w)), (w) => parseInt(w, 16));
}
