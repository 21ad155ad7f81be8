/**
 * @fileoverview The contexts runs build, against the kernel's BPF_PROG_TEST_RUN: for every
 * packet type the runtime runs, every 4-byte context field a program may read is read in
 * both (an skb type copies it to cb[0], which comes back in ctx_out; XDP returns it), on
 * the same frame.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { insn, type Instruction } from "../../src/isa/instruction.js";
import { KernelProgram } from "../../src/kernel/index.js";
import { SK_BUFF, XDP_MD } from "../../src/programs/layouts.js";
import { defaultAttachType, verifierOpsFor } from "../../src/programs/table.js";
import type { ProgramTypeName } from "../../src/programs/types.js";
import { Runtime } from "../../src/runtime/index.js";
import { skip } from "../kernel/helpers.js";

/** An IPv4 TCP frame to 10.0.0.2:80 with a unicast destination MAC. */
function frame(): Uint8Array {
  const f = new Uint8Array(74);
  f.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, 0, 60, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x9c, 0x40, 0, 80]);
  return f;
}

const CB0 = SK_BUFF.field("cb").off;

function reader(type: ProgramTypeName, off: number): Instruction[] {
  if (type === "xdp") return [insn(0x61, 0, 1, off, 0), insn(0x95, 0, 0, 0, 0)];
  return [insn(0x61, 2, 1, off, 0), insn(0x63, 1, 2, CB0, 0), insn(0xb7, 0, 0, 0, 1), insn(0x95, 0, 0, 0, 0)];
}

const TYPES: ProgramTypeName[] = ["socket_filter", "sched_cls", "sched_act", "cgroup_skb", "lwt_in", "lwt_out", "lwt_xmit", "xdp"];

/** Fields whose value is the kernel's business and cannot agree: where data lies in kernel memory. */
const POINTERS = new Set(["data", "data_end", "data_meta"]);

for (const type of TYPES) {
  test(`${type}: every readable context field reads as in the kernel's test run`, { skip }, () => {
    const layout = type === "xdp" ? XDP_MD : SK_BUFF;
    const ops = verifierOpsFor(type);
    const attachType = defaultAttachType(type);
    const diffs: string[] = [];
    for (const f of layout.fields) {
      if (POINTERS.has(f.name) || f.kind === "pad") continue;
      for (let off = f.off; off < f.off + f.size; off += 4) {
        const v = ops.isValidAccess({ off, size: 4, write: false, attachType });
        if (!v.ok || v.type !== "scalar") continue;
        const prog = reader(type, off);
        const data = frame();
        const ctx = type === "xdp" ? undefined : new Uint8Array(SK_BUFF.size);
        const k = KernelProgram.load({ type, instructions: prog, ...(attachType ? { expectedAttachType: attachType as never } : {}) });
        let kv: number;
        try {
          const r = k.testRun({ data, ...(ctx ? { ctx } : {}) });
          kv = type === "xdp" ? r.retval >>> 0 : new DataView(r.ctx!.buffer, r.ctx!.byteOffset).getUint32(CB0, true);
        } finally {
          k.close();
        }
        const u = new Runtime().load(prog, { type }).testRun({ data, ...(ctx ? { ctx } : {}) });
        const uv = type === "xdp" ? u.retval : new DataView(u.ctx!.buffer, u.ctx!.byteOffset).getUint32(CB0, true);
        if (kv !== uv) diffs.push(`${f.name}${f.count > 1 ? `+${off - f.off}` : ""} (off ${off}): kernel ${kv}, runtime ${uv}`);
      }
    }
    assert.deepEqual(diffs, []);
  });
}

test("flow_dissector: the keys a dissector writes, and its verdict, as the kernel's test run gives them", { skip }, async () => {
  const { readFileSync } = await import("node:fs");
  const { loadObject, loadObjectSpec } = await import("../../src/object/index.js");
  const spec = loadObjectSpec(new Uint8Array(readFileSync(new URL("../fixtures/flow-dissector.bpf.o", import.meta.url))), { name: "flow-dissector.bpf.o" });
  const udp = frame();
  udp[23] = 17;
  const icmp = frame();
  icmp[23] = 1;
  const arp = frame();
  arp.set([0x08, 0x06], 12);
  const short = frame().subarray(0, 30);
  const interp = await loadObject(spec, { engine: "interp" });
  const kernel = await loadObject(spec, { engine: "kernel" });
  try {
    for (const [name, data] of [["tcp", frame()], ["udp", udp], ["icmp", icmp], ["arp", arp], ["short", short]] as const) {
      const u = interp.programs.get("dissect")!.testRun({ data });
      const k = kernel.programs.get("dissect")!.testRun({ data });
      assert.equal(u.retval, k.retval, name);
      assert.deepEqual(u.data, k.data, name);
    }
  } finally {
    interp.close();
    kernel.close();
  }
});

test("skb pkt_type is eth_type_trans's on the test run's device (lo): host, multicast (broadcast too), other host", { skip }, () => {
  const off = SK_BUFF.field("pkt_type").off;
  const prog = reader("sched_cls", off);
  const got: string[] = [];
  for (const dst of [[0, 0, 0, 0, 0, 0], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x01, 0, 0x5e, 0, 0, 1], [0x33, 0x33, 0, 0, 0, 1], [0x02, 0, 0, 0, 0, 2]]) {
    const data = frame();
    data.set(dst, 0);
    const k = KernelProgram.load({ type: "sched_cls", instructions: prog });
    let kv: number;
    try {
      const r = k.testRun({ data, ctx: new Uint8Array(SK_BUFF.size) });
      kv = new DataView(r.ctx!.buffer, r.ctx!.byteOffset).getUint32(CB0, true);
    } finally {
      k.close();
    }
    const u = new Runtime().load(prog, { type: "sched_cls" }).testRun({ data, ctx: new Uint8Array(SK_BUFF.size) });
    got.push(`${kv}/${new DataView(u.ctx!.buffer, u.ctx!.byteOffset).getUint32(CB0, true)}`);
  }
  // lo has no broadcast address: ff:ff:ff:ff:ff:ff is multicast there.
  assert.deepEqual(got, ["0/0", "2/2", "2/2", "2/2", "3/3"]);
});
