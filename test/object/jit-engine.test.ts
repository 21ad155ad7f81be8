/**
 * @fileoverview loadObject's "jit" engine: every fixture, example and bench object that the
 * userspace runtime can run gives, program by program and packet by packet, the
 * interpreter's retvals, packets out, faults and map contents; and where the kernel
 * backend works, the kernel's for the objects the interp engine is compared on.
 */

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BpfError } from "../../src/errors.js";
import { kernelAvailable } from "../../src/kernel/index.js";
import { loadObject } from "../../src/object/index.js";
import { loadObjectSpec } from "../../src/object/spec.js";
import type { ObjectSpec } from "../../src/object/types.js";
import { RUN_TYPES } from "../../src/runtime/index.js";
import { BENCH, benchObjects, EXTERN_VALUES, fixtureObjects } from "./helpers.js";

const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("hex") : "none");

/** Frames of several shapes, then the bench packets. */
function packets(): [string, Uint8Array][] {
  const ipv4 = (protocol: number, port: number) => {
    const p = new Uint8Array(64);
    p.set([0x08, 0x00], 12);
    p[14] = 0x45;
    p[23] = protocol;
    p.set([10, 0, 0, 1], 26);
    p.set([10, 0, 0, 200], 30);
    p.set([0x30, 0x39, port >> 8, port & 0xff], 34);
    return p;
  };
  const ipv6 = new Uint8Array(80);
  ipv6.set([0x86, 0xdd], 12);
  ipv6[20] = 17;
  const bench = ["pkt_udp64.bin", "pkt_tcp1500.bin"].map((f): [string, Uint8Array] => [f, new Uint8Array(readFileSync(BENCH + f))]);
  return [["tcp:22", ipv4(6, 22)], ["udp:53", ipv4(17, 53)], ["tcp:80", ipv4(6, 80)], ["ipv6", ipv6], ["short", new Uint8Array(20)], ...bench];
}

interface Playable {
  programs: Map<string, { testRun(o: { data: Uint8Array; repeat?: number }): { retval: number; data?: Uint8Array } }>;
  maps: Map<string, { typeName: string; entries(): IterableIterator<[Uint8Array, Uint8Array]> }>;
}

/** Every program on every packet (twice, the second with repeat), then every map. */
function play(o: Playable, keysOnly: (map: string, type: string) => boolean = () => false): string[] {
  const lines: string[] = [];
  for (const [what, data] of packets()) {
    for (const [name, p] of o.programs) {
      for (const repeat of [1, 3]) {
        try {
          const r = p.testRun({ data, repeat });
          lines.push(`${name}(${what}) x${repeat} = ${r.retval} data ${hex(r.data)}`);
        } catch (e) {
          if (!(e instanceof BpfError)) throw e;
          lines.push(`${name}(${what}) x${repeat} fails: ${e.message}`);
        }
      }
    }
  }
  for (const [name, m] of o.maps) {
    const only = keysOnly(name, m.typeName);
    let entries: [Uint8Array, Uint8Array][];
    try {
      entries = [...m.entries()];
    } catch (e) {
      // Maps user space cannot walk, as in the kernel (a perf_event_array's lookup, a queue's
      // next key): both engines must refuse alike.
      lines.push(`map ${name}: ${(e as Error).message}`);
      continue;
    }
    lines.push(`map ${name}: ${entries.map(([k, v]) => `${hex(k)}=${only ? "?" : hex(v)}`).sort().join(" ")}`);
  }
  return lines;
}

/** The spec of an object, and the programs the runtime cannot run (skipped). */
function open(path: string): { spec: ObjectSpec; skip: string[] } {
  const spec = loadObjectSpec(new Uint8Array(readFileSync(path)), { name: path.split("/").pop()!, ...EXTERN_VALUES });
  return { spec, skip: spec.programs.filter((p) => !(p.type in RUN_TYPES)).map((p) => p.name) };
}

const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith(".bpf.o")).map((f) => join(EXAMPLES, f));
const objects = [...fixtureObjects(), ...examples, ...benchObjects()];

test("every object the runtime can run gives the interpreter's results in the jit", async (t) => {
  let compared = 0;
  const skipped: string[] = [];
  for (const path of objects) {
    const name = path.split("/").pop()!;
    let spec: ObjectSpec, skip: string[];
    try {
      ({ spec, skip } = open(path));
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message}`);
      continue;
    }
    if (!spec.littleEndian || skip.length === spec.programs.length) { skipped.push(`${name}: nothing the runtime runs`); continue; }
    let interp, jit;
    try {
      interp = await loadObject(spec, { engine: "interp", skip });
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message}`);
      continue;
    }
    try {
      jit = await loadObject(spec, { engine: "jit", skip });
      const declined = [...jit.programs].filter(([, p]) => p.jitCode?.fallback !== undefined).map(([n, p]) => `${n}: ${p.jitCode!.fallback}`);
      assert.deepEqual(declined, [], `${name}: programs the jit declined`);
      // Compilers emit reducible code: none of it should need the dispatch loop.
      const dispatched = [...jit.programs].filter(([, p]) => (p.jitCode?.dispatched.length ?? 0) > 0).map(([n]) => n);
      assert.deepEqual(dispatched, [], `${name}: programs compiled as a dispatch loop`);
      // ktime values differ from run to run in any engine; compare those maps by key.
      const keysOnly = (map: string) => name === "maps-helpers.bpf.o" && map === "last_seen";
      assert.deepEqual(play(jit, keysOnly), play(interp, keysOnly), name);
      compared++;
    } finally {
      interp.close();
      jit?.close();
    }
  }
  t.diagnostic(`${compared} objects compared; skipped: ${skipped.join("; ") || "none"}`);
  assert.ok(compared >= 8, `only ${compared} objects compared`);
});

const available = kernelAvailable();
const skipKernel: false | string = available.ok ? false : `no kernel backend here: ${available.reason}`;

for (const path of [EXAMPLES + "xdp_firewall.bpf.o", ...benchObjects()]) {
  const name = path.split("/").pop()!;
  test(`${name}: the jit and the kernel give the same retvals, packets and maps`, { skip: skipKernel }, async () => {
    const { spec } = open(path);
    const jit = await loadObject(spec, { engine: "jit", mode: "fast" });
    const kernel = await loadObject(spec, { engine: "kernel" });
    try {
      assert.deepEqual(play(jit as unknown as Playable), play(kernel as unknown as Playable));
    } finally {
      jit.close();
      kernel.close();
    }
  });
}
