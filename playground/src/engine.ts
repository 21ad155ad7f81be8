/**
 * @fileoverview What the playground does with a program, apart from the page: open an
 * object or assemble text, list it, verify it with every step's state, run it on packets.
 * Runs in the Web Worker; imports tsbpf's browser entry point only.
 */

import {
  assemble, dumpMap, formatMapDump, listInstructions, listingLines, encode, listObject, loadObject, loadObjectSpec, readElf,
  readCapture, toEthernet, returnCodeName, programType, RUN_TYPES, explain, verifySteps, BpfError, SK_BUFF, mapTypeInfo, judgeObject, programAlone, sourceLineAtSlot,
  type ObjectSpec, type ProgramSpec, type StepJson, type Syntax, type DumpEntry, type MapSpec, type Reference,
} from "../../src/browser.js";

/** What the source pane holds: tsbpf assembly for a program type, or an object's bytes. */
export type Source =
  | { readonly kind: "asm"; readonly text: string; readonly type: string; /** The license the program declares (GPL-only helpers need a GPL one). */ readonly license?: string }
  | { readonly kind: "object"; readonly bytes: Uint8Array; readonly name: string };

export interface Opened {
  readonly programs: readonly { name: string; section: string; type: string; slots: number; runnable: boolean; takesPackets: boolean }[];
  readonly maps: readonly { name: string; type: string; keySize: number; valueSize: number; maxEntries: number }[];
  /** The listing with source lines, in each syntax. */
  readonly listing: Readonly<Record<Syntax, string>>;
}

export interface Verdict {
  readonly program: string;
  readonly accepted: boolean;
  readonly message?: string;
  readonly explanation?: string;
  readonly hint?: string;
  readonly insn?: number;
  readonly insnText?: string;
  readonly sourceLine?: string;
  readonly insnsProcessed: number;
  readonly ms: number;
  /** The kernel-syntax text of each slot, for the stepper, with the C line it came from (BTF line_info). */
  readonly insns: readonly { slot: number; text: string; source?: string }[];
  readonly steps: readonly StepJson[];
  /** Steps left out past the cap. */
  readonly stepsOmitted: number;
  readonly failing?: StepJson;
}

export interface RunRequest {
  readonly program: string;
  readonly engine: "interp" | "jit";
  /** One packet, or a capture (pcap or pcapng). */
  readonly packet?: Uint8Array;
  readonly capture?: Uint8Array;
  readonly repeat?: number;
}

export interface PacketResult {
  readonly index: number;
  readonly retval: number;
  readonly verdict: string;
  readonly input: Uint8Array;
  readonly output: Uint8Array;
  readonly ns: number;
}

export interface RunResult {
  readonly program: string;
  readonly engine: string;
  readonly packets: number;
  readonly verdicts: Readonly<Record<string, number>>;
  /** The first packets in full (input and output). */
  readonly shown: readonly PacketResult[];
  /** Mean wall time per run, the whole loop timed (the page's clock is too coarse for one run). */
  readonly nsPerPacket: number;
  readonly maps: readonly { name: string; text: string; entries: DumpEntry[] }[];
  readonly trace: readonly string[];
  readonly warnings: readonly string[];
}

const MAX_STEPS = 5000;
const SHOWN_PACKETS = 16;

let cached: { key: Source; spec: ObjectSpec } | undefined;

/** The source as an object spec (assembly becomes a one-program object). */
export function specOf(source: Source): ObjectSpec {
  if (cached?.key === source) return cached.spec;
  let spec: ObjectSpec;
  if (source.kind === "object") spec = loadObjectSpec(source.bytes, { name: source.name });
  else {
    programType(source.type); // an unknown type is an error here, not later
    const { text, maps } = mapDirectives(source.text);
    const asm = assemble(text, { fileName: "source.s" });
    const references: Reference[] = asm.references.map((r) => {
      if (r.kind !== "map") throw new BpfError("EINVAL", `insn ${r.index}: ${r.name} is not defined (the playground's assembly references maps only, as map[NAME])`);
      if (!maps.some((m) => m.name === r.name)) throw new BpfError("EINVAL", `insn ${r.index}: map ${r.name} is not declared (declare it: .map ${r.name} hash 4 8 1024)`);
      return { insnIndex: r.index, kind: "map", name: r.name };
    });
    const program: ProgramSpec = {
      name: "prog", sectionName: source.type, type: source.type, flags: 0, autoload: true, instructions: asm.instructions,
      references, funcInfo: [], lineInfo: [], pendingCore: [], license: source.license ?? "GPL",
    };
    spec = { name: "source", programs: [program], maps, license: program.license, littleEndian: true };
  }
  cached = { key: source, spec };
  return spec;
}

/**
 * The playground's one addition to tsbpf assembly: `.map NAME TYPE KEY_SIZE VALUE_SIZE
 * MAX_ENTRIES [FLAGS]` declares a map (as a legacy `struct bpf_map_def` would) for
 * `r1 = map[NAME] ll` to load. The lines are blanked so the assembler's line numbers hold.
 */
export function mapDirectives(source: string): { text: string; maps: MapSpec[] } {
  const maps: MapSpec[] = [];
  const lines = source.split(/\r?\n/).map((raw, n) => {
    const m = /^\s*\.map\b(.*?)\s*(?:(?:;|\/\/).*)?$/.exec(raw);
    if (!m) return raw;
    const at = `source.s:${n + 1}`;
    const f = m[1]!.trim().split(/\s+/);
    if (f.length < 5 || f.length > 6) throw new BpfError("EINVAL", `${at}: expected .map NAME TYPE KEY_SIZE VALUE_SIZE MAX_ENTRIES [FLAGS]`);
    const [name, type, ...nums] = f as [string, string, ...string[]];
    if (!/^[A-Za-z_][\w.]*$/.test(name)) throw new BpfError("EINVAL", `${at}: map name ${name} is not an identifier`);
    if (!mapTypeInfo(type)) throw new BpfError("EINVAL", `${at}: unknown map type ${type}`);
    if (maps.some((x) => x.name === name)) throw new BpfError("EINVAL", `${at}: map ${name} is declared twice`);
    const [keySize, valueSize, maxEntries, flags = 0] = nums.map((x, i) => {
      const v = Number(x);
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new BpfError("EINVAL", `${at}: ${["key size", "value size", "max entries", "flags"][i]} ${x} is not a u32`);
      return v;
    }) as [number, number, number, number?];
    maps.push({ name, type, keySize, valueSize, maxEntries, flags, origin: "legacy" });
    return "";
  });
  return { text: lines.join("\n"), maps };
}

function programOf(spec: ObjectSpec, name: string): ProgramSpec {
  const p = spec.programs.find((x) => x.name === name) ?? spec.programs[0];
  if (!p) throw new BpfError("EINVAL", "the object has no programs");
  return p;
}

export function open(source: Source): Opened {
  const spec = specOf(source);
  let listing: Record<Syntax, string>;
  if (source.kind === "object") {
    const elf = readElf(source.bytes);
    const list = (syntax: Syntax) => listObject(elf, { syntax, fileName: source.name, source: true }).replace(/\n$/, "");
    listing = { llvm: list("llvm"), kernel: list("kernel") };
  } else {
    const listed = listInstructions(encode(spec.programs[0]!.instructions));
    // Maps are loaded by a relocation the listing cannot show; their declarations head it, as comments.
    const decl = spec.maps.map((m) => `; .map ${m.name} ${m.type} ${m.keySize} ${m.valueSize} ${m.maxEntries}${m.flags ? ` ${m.flags}` : ""}`);
    listing = { llvm: [...decl, ...listingLines(listed, { syntax: "llvm" })].join("\n"), kernel: [...decl, ...listingLines(listed, { syntax: "kernel" })].join("\n") };
  }
  return {
    programs: spec.programs.map((p) => {
      const row = programType(p.type);
      return { name: p.name, section: p.sectionName, type: p.type, slots: encode(p.instructions).length / 8, runnable: p.type in RUN_TYPES, takesPackets: !!row.disposition };
    }),
    maps: spec.maps.map((m) => ({ name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries })),
    listing,
  };
}

/** The verdict `tsbpf verify` gives (the program alone, libbpf's refusals first), with the verifier's steps. */
export async function verify(source: Source, name: string): Promise<Verdict> {
  const spec = specOf(source);
  const p = programOf(spec, name);
  const alone = programAlone(spec, p);
  const [judged] = await judgeObject(alone, { engine: "tsbpf" });
  const { result, steps, failing } = verifySteps(alone.programs[0]!, { maps: alone.maps, ...(p.expectedAttachType ? { attachType: p.expectedAttachType } : {}) });
  const listed = listInstructions(encode(p.instructions));
  const e = result.error;
  // A verdict without a processed count never reached the verifier.
  if (judged && !judged.accepted && (result.accepted || judged.insnsProcessed === undefined)) {
    // Refused before the verifier would run (a section with no program type, a map the kernel would not make).
    return {
      program: p.name, accepted: false, message: judged.error ?? "refused", explanation: `refused before the verifier: ${judged.error ?? ""}`,
      insnsProcessed: 0, ms: judged.verificationMs, insns: [], steps: [], stepsOmitted: 0,
    };
  }
  return {
    program: p.name,
    accepted: result.accepted,
    ...(e ? {
      message: e.message, explanation: explain(e), insn: e.insn,
      ...(e.hint ? { hint: e.hint } : {}), ...(e.text ? { insnText: e.text } : {}),
      ...(e.source ? { sourceLine: `${e.source.file}:${e.source.line}: ${e.source.text.trim()}` } : {}),
    } : {}),
    insnsProcessed: result.insnsProcessed,
    ms: result.verificationMs,
    insns: listed.map((l) => {
      const at = sourceLineAtSlot(p, l.slot);
      return { slot: l.slot, text: listingLines([l], { syntax: "kernel" })[0]!.replace(/^\s*\d+:\s*/, "").trim(), ...(at ? { source: `${at.file.replace(/^.*\//, "")}:${at.line}: ${at.text.trim()}` } : {}) };
    }),
    steps: steps.slice(0, MAX_STEPS),
    stepsOmitted: Math.max(0, steps.length - MAX_STEPS),
    ...(failing ? { failing } : {}),
  };
}

export async function run(source: Source, req: RunRequest): Promise<RunResult> {
  const spec = specOf(source);
  const p = programOf(spec, req.program);
  const row = programType(p.type);
  if (!(p.type in RUN_TYPES) || !row.disposition) throw new BpfError("ENOTSUP", `not supported: running ${p.type} programs on packets in the browser (the runtime runs ${Object.keys(RUN_TYPES).filter((t) => t !== "raw").join(", ")})`);
  const frames: Uint8Array[] = [];
  const stamps: bigint[] = [];
  const warnings: string[] = [];
  if (req.capture) {
    const c = readCapture(req.capture);
    warnings.push(...c.warnings.map((w) => w.message));
    c.packets.forEach((pkt, i) => {
      const f = toEthernet(pkt.data, pkt.linkType);
      if (f) { frames.push(f); stamps.push(pkt.timestampNs); }
      else warnings.push(`packet ${i}: link type ${pkt.linkType} of no known protocol; skipped`);
    });
  } else frames.push(req.packet ?? new Uint8Array(64));
  const skip = spec.programs.filter((x) => x !== p && !(x.type in RUN_TYPES)).map((x) => x.name);
  const object = await loadObject(spec, { engine: req.engine as "interp", skip });
  try {
    const prog = object.programs.get(p.name)!;
    const verdicts: Record<string, number> = {};
    const shown: PacketResult[] = [];
    // A page's clock is coarse (about 0.1 ms without cross-origin isolation): time the whole
    // loop and divide, rather than trust each run's own reading.
    const now = () => performance.now();
    const t0 = now();
    frames.forEach((frame, index) => {
      const ctx = contextFor(p.type, stamps[index]);
      const r = prog.testRun({ data: frame, repeat: req.repeat ?? 1, ...(ctx ? { ctx } : {}) });
      const retval = r.retval >>> 0;
      const verdict = returnCodeName(p.type, retval);
      verdicts[verdict] = (verdicts[verdict] ?? 0) + 1;
      if (shown.length < SHOWN_PACKETS) shown.push({ index, retval, verdict, input: frame, output: r.data, ns: r.durationNs });
    });
    const elapsedMs = now() - t0;
    const btf = spec.btf;
    const maps = [...object.maps].filter(([n]) => !/\.(rodata|kconfig)/.test(n)).map(([n, m]) => {
      const ms = spec.maps.find((x) => x.name === n);
      const mb = btf && ms ? { btf, ...(ms.keyType ? { keyType: ms.keyType } : {}), ...(ms.valueType ? { valueType: ms.valueType } : {}) } : undefined;
      return { name: n, text: formatMapDump(m, mb), entries: dumpMap(m, mb) };
    });
    return {
      program: p.name, engine: req.engine, packets: frames.length, verdicts, shown,
      nsPerPacket: frames.length ? (elapsedMs * 1e6) / (frames.length * (req.repeat ?? 1)) : 0, maps, trace: [...object.trace], warnings,
    };
  } finally {
    object.close();
  }
}

/** As `tsbpf run --pcap` gives it: skb types carry the capture's timestamp in `tstamp`. */
function contextFor(type: string, timestampNs: bigint | undefined): Uint8Array | undefined {
  if (timestampNs === undefined || programType(type).ctx !== SK_BUFF) return undefined;
  const ctx = new Uint8Array(SK_BUFF.size);
  new DataView(ctx.buffer).setBigUint64(SK_BUFF.field("tstamp").off, BigInt.asUintN(64, timestampNs), true);
  return ctx;
}
