/**
 * @fileoverview The redirect maps against the kernel's: devmap, devmap_hash and cpumap
 * take, refuse, return and iterate entries as the kernel does (ifindex 1, lo, exists in
 * both), and bpf_redirect_map gives the kernel's XDP verdicts: XDP_REDIRECT for a filled
 * slot (the runtime reports the target), the flags' fallback action for an empty one,
 * XDP_ABORTED for bad flags, and a devmap broadcast.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "../../src/isa/assembler.js";
import { KernelProgram } from "../../src/kernel/index.js";
import { takeRedirect } from "../../src/maps/index.js";
import { hex, pinToCpu0, runtimeOf, skip, twin, u32 } from "./diff.js";

const outcome = (f: () => unknown): string => {
  try {
    const r = f();
    return r instanceof Uint8Array ? hex(r) : String(r);
  } catch (e) {
    const n = (e as { errnoName?: string }).errnoName;
    if (n) return `error ${n}`;
    throw e;
  }
};

const SHAPES = [
  { type: "devmap", valueSize: 4 }, { type: "devmap", valueSize: 8 }, { type: "devmap_hash", valueSize: 8 }, { type: "cpumap", valueSize: 4 },
];

for (const shape of SHAPES) {
  test(`${shape.type} (value ${shape.valueSize}): userspace operations and bpf_redirect_map answer as the kernel's`, { skip }, () => {
    pinToCpu0();
    const t = twin({ type: shape.type, keySize: 4, valueSize: shape.valueSize, maxEntries: 4, name: "maps_redir" });
    const insns = assemble(`
      r6 = *(u32 *)(r1 + 0)
      r7 = *(u32 *)(r1 + 4)
      r2 = r6
      r2 += 16
      if r2 > r7 goto out
      r1 = map[m] ll
      r2 = *(u32 *)(r6 + 0)
      r3 = *(u32 *)(r6 + 4)
      call 51
      exit
    out:
      r0 = 99
      exit`).instructions;
    const kprog = KernelProgram.load({ type: "xdp", name: "maps_redir", instructions: insns.map((i) => (i.opcode === 0x18 && i.src === 1 ? { ...i, imm: t.kernel.fd, imm64: BigInt(t.kernel.fd) } : i)) });
    const uprog = runtimeOf(t.user.space).load(insns, { type: "xdp", resolveLoad: (i) => (i.src === 1 ? t.user.handle : undefined) });
    try {
      const play = (m: typeof t.kernel | typeof t.user, run: (pkt: Uint8Array) => number) => {
        const out: string[] = [];
        const value = (a: number, b = 0) => { const v = new Uint8Array(shape.valueSize); const dv = new DataView(v.buffer); dv.setUint32(0, a, true); if (shape.valueSize === 8) dv.setInt32(4, b, true); return v; };
        const steps: [string, () => unknown][] = [
          ["get 0", () => m.get(u32(0))],
          ["set 0 = 1", () => m.set(u32(0), value(1))],
          ["set 1 = 1 noexist", () => m.set(u32(1), value(1), "noexist")],
          ["set 2 = 1 exist", () => m.set(u32(2), value(1), "exist")],
          ["set 3 = 0", () => m.set(u32(3), value(0))],
          ["set 3 = 99999", () => m.set(u32(3), value(99999))],
          ["set 4 = 1", () => m.set(u32(4), value(1))],
          ["set 2 = 1 prog -1", () => m.set(u32(2), value(1, -1))],
          ["set 1 = 1 flags 4", () => m.set(u32(1), value(1), 4)],
          ["get 0", () => m.get(u32(0))],
          ["get 2", () => m.get(u32(2))],
          ["get 3", () => m.get(u32(3))],
          ["keys", () => [...m.keys()].map(hex).join(",")],
          ["next 9", () => m.nextKey(u32(9))],
        ];
        for (const [name, f] of steps) out.push(`${name}: ${outcome(f)}`);
        for (const [key, flags] of [[0, 0], [1, 0], [1, 2], [1, 1], [3, 3], [0, 8], [0, 24], [7, 2], [2, 0x20]] as const) {
          const pkt = new Uint8Array(16);
          new DataView(pkt.buffer).setUint32(0, key, true);
          new DataView(pkt.buffer).setUint32(4, flags, true);
          out.push(`redirect ${key} flags ${flags}: ${run(pkt)}`);
        }
        out.push(`delete 0: ${outcome(() => m.delete(u32(0)))}`, `delete 0: ${outcome(() => m.delete(u32(0)))}`, `delete 9: ${outcome(() => m.delete(u32(9)))}`);
        out.push(`keys ${[...m.keys()].map(hex).join(",")}`);
        return out;
      };
      const targets: string[] = [];
      const user = play(t.user, (pkt) => {
        const r = uprog.testRun({ data: pkt }).retval;
        const target = takeRedirect(t.user.space);
        if (target) targets.push(`${target.mapType} ${target.key ?? "broadcast"} ${target.value ? hex(target.value) : ""}`);
        return r;
      });
      const kernel = play(t.kernel, (pkt) => kprog.testRun({ data: pkt }).retval);
      assert.deepEqual(user, kernel);
      assert.ok(targets.length > 0 && targets[0]!.startsWith(`${shape.type} 0 01000000`), targets.join("; "));
    } finally {
      kprog.close();
      t.close();
    }
  });
}
