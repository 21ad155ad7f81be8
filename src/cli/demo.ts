/**
 * @fileoverview `tsbpf demo` (npm start): what tsbpf does with the bundled examples. It
 * opens each example object as libbpf would, prints its programs, maps and disassembly,
 * and runs each program on sample packets: in the interpreter (the whole object, maps and
 * all, through loadObject's interp engine), and in the kernel where bpf() is available.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { readElf } from "../elf/index.js";
import { listObject } from "../object/listing.js";
import { loadObject, loadObjectSpec, type ProgramSpec } from "../object/index.js";
import { RUN_TYPES } from "../runtime/index.js";
import type { Io } from "./io.js";

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));

/** Sample frames: IPv4 TCP to ports 22 and 80, UDP to port 7, and an ARP frame. */
function samplePackets(): [string, Uint8Array][] {
  const ipv4 = (protocol: number, port: number) => {
    const p = new Uint8Array(64);
    p.set([0x08, 0x00], 12); // ETH_P_IP
    p[14] = 0x45; // IPv4, 20-byte header
    p[23] = protocol;
    p.set([port >> 8, port & 0xff], 36); // the destination port, for TCP and UDP alike
    return p;
  };
  const arp = new Uint8Array(60);
  arp.set([0x08, 0x06], 12);
  return [["tcp:22", ipv4(6, 22)], ["tcp:80", ipv4(6, 80)], ["udp:7", ipv4(17, 7)], ["arp", arp]];
}

const XDP_ACTIONS = ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"];
const verdict = (type: string, retval: number) => (type === "xdp" ? XDP_ACTIONS[retval] ?? String(retval) : String(retval));

export async function demoCommand(args: string[], io: Io): Promise<number> {
  const dir = args[0] ?? EXAMPLES;
  const objects = readdirSync(dir).filter((f) => f.endsWith(".o")).sort();
  for (const name of objects) {
    const path = join(dir, name);
    const bytes = new Uint8Array(readFileSync(path));
    const spec = loadObjectSpec(bytes, { name });
    io.out(`== ${name}`);
    for (const p of spec.programs) io.out(`program ${p.name}: section ${p.sectionName}, type ${p.type}, ${p.instructions.length} instructions`);
    for (const m of spec.maps) io.out(`map ${m.name}: ${m.type}, key ${m.keySize} B, value ${m.valueSize} B, ${m.maxEntries} entries`);
    io.out(listObject(readElf(bytes), { fileName: relative(process.cwd(), path) || path }));
    for (const program of spec.programs) await runSamples(program, spec, io);
  }
  return 0;
}

async function runSamples(program: ProgramSpec, spec: ReturnType<typeof loadObjectSpec>, io: Io) {
  const packets = samplePackets();
  if (program.type in RUN_TYPES) {
    // The whole object in one runtime, so maps and global data are there; the other programs are not loaded.
    const object = await loadObject(spec, { engine: "interp", skip: spec.programs.filter((p) => p !== program).map((p) => p.name) });
    try {
      const loaded = object.programs.get(program.name)!;
      for (const [what, data] of packets) io.out(`interp  ${program.name}(${what}) = ${verdict(program.type, loaded.testRun({ data }).retval)}`);
      showMaps("interp", object.maps, io);
    } finally {
      object.close();
    }
  } else {
    io.out(`interp  ${program.name}: not run (no ${program.type} test runs yet)`);
  }
  const kernel = await import("../kernel/index.js");
  const here = kernel.kernelAvailable();
  if (!here.ok) {
    io.out(`kernel  ${program.name}: not run (${here.reason})`);
    return;
  }
  const object = await loadObject(spec, { engine: "kernel", skip: spec.programs.filter((p) => p !== program).map((p) => p.name) });
  try {
    const loaded = object.programs.get(program.name) as import("../kernel/index.js").KernelProgram;
    for (const [what, data] of packets) io.out(`kernel  ${program.name}(${what}) = ${verdict(program.type, loaded.testRun({ data }).retval)}`);
    showMaps("kernel", object.maps, io);
  } finally {
    object.close();
  }
}

/** A map's entries after the runs, keys and values read as little-endian numbers: `verdicts {0: 1, 1: 3}`. */
function showMaps(engine: string, maps: ReadonlyMap<string, unknown>, io: Io) {
  const number = (b: Uint8Array) => b.reduceRight((n, byte) => (n << 8n) | BigInt(byte), 0n);
  for (const [name, map] of maps) {
    if (name.includes(".")) continue; // global data: shown by its program's behaviour
    const entries = [...(map as { entries(): Iterable<[Uint8Array, Uint8Array]> }).entries()].slice(0, 8);
    if (entries.length === 0 || entries.some(([k, v]) => k.length > 8 || v.length > 8)) continue;
    io.out(`${engine.padEnd(7)} map ${name} {${entries.map(([k, v]) => `${number(k)}: ${number(v)}`).join(", ")}}`);
  }
}
