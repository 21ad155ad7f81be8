/**
 * @fileoverview Runs one program body in the kernel (BPF_PROG_TEST_RUN) and in the runtime
 * (with the real process as its host) and gives both results: the return value, 64 output
 * bytes the body wrote at fp-64, and the packet after the run.
 *
 * The body starts with r6 = the context and the 64 output bytes zeroed; it leaves its
 * return value in r7 and falls through (no exit). `map(r)` loads the results map into r`r`.
 */

import { installHelpers } from "../../src/helpers/table.js";
import { setHost, type Host } from "../../src/helpers/host.js";
import type { Instruction } from "../../src/isa/instruction.js";
import { KernelMap, KernelProgram, MapFlags, nodeHost } from "../../src/kernel/index.js";
import type { ArrayMap } from "../../src/maps/array.js";
import { createMap } from "../../src/maps/create.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";
import { call, exit, ldMapFd, mov64Imm, mov64Reg, st } from "../kernel/helpers.js";

export interface Outcome {
  readonly retval: number;
  /** The 64 bytes at fp-64 when the body ended. */
  readonly out: Uint8Array;
  /** The packet after the run. */
  readonly data: Uint8Array;
}

/** `map(r)` loads the results map into r`r`; `rodata(r)` the address of the read-only bytes given as `rodata`. */
export type Body = (map: (reg: number) => Instruction, rodata: (reg: number) => Instruction) => Instruction[];

const OUT_MAP = { type: "array", keySize: 4, valueSize: 64, maxEntries: 1 } as const;

function program(body: Body, map: (reg: number) => Instruction, rodata: (reg: number) => Instruction = map): Instruction[] {
  const zero: Instruction[] = [];
  for (let off = -72; off < 0; off += 8) zero.push(st("dw", 10, off, 0));
  return [
    mov64Reg(6, 1),
    ...zero,
    mov64Imm(7, 0),
    ...body(map, rodata),
    // The output bytes go to the results map: key 0 at fp-72, value fp-64.
    st("w", 10, -72, 0),
    map(1),
    mov64Reg(2, 10), { opcode: 0x07, dst: 2, src: 0, off: 0, imm: -72 },
    mov64Reg(3, 10), { opcode: 0x07, dst: 3, src: 0, off: 0, imm: -64 },
    mov64Imm(4, 0),
    call(2),
    mov64Reg(0, 7),
    exit(),
  ];
}

/** The body's outcome in the kernel and in the runtime, for a program of `type`. */
export function bothWays(body: Body, o: { type?: "socket_filter" | "sched_cls" | "xdp"; data?: Uint8Array; ctx?: Uint8Array; rodata?: Uint8Array; host?: Host } = {}): { kernel: Outcome; runtime: Outcome } {
  const type = o.type ?? "sched_cls";
  const data = o.data ?? new Uint8Array(64);
  const rodata = new Uint8Array(64);
  rodata.set(o.rodata ?? []);
  const kmap = KernelMap.create({ ...OUT_MAP, name: "helpers_diff" });
  // A frozen, program-read-only array: what ARG_PTR_TO_CONST_STR arguments must point into.
  const krodata = KernelMap.create({ ...OUT_MAP, flags: MapFlags.RdonlyProg, name: "helpers_ro" });
  krodata.set(new Uint8Array(4), rodata);
  krodata.freeze();
  let kernel: Outcome;
  try {
    const valueLoad = (r: number): Instruction => ({ opcode: 0x18, dst: r, src: 2, off: 0, imm: krodata.fd, imm64: BigInt(krodata.fd) });
    const prog = KernelProgram.load({ type, instructions: program(body, (r) => ldMapFd(r, kmap.fd), valueLoad), logLevel: 0, name: "helpers_diff" });
    try {
      const r = prog.testRun({ data, ...(o.ctx ? { ctx: o.ctx } : {}) });
      kernel = { retval: r.retval, out: kmap.get(new Uint8Array(4))!, data: r.data ?? new Uint8Array(0) };
    } finally {
      prog.close();
    }
  } finally {
    kmap.close();
    krodata.close();
  }
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  setHost(rt.space, o.host ?? nodeHost());
  const umap = createMap(rt.space, { ...OUT_MAP, name: "helpers_diff" });
  const urodata = createMap(rt.space, { ...OUT_MAP, name: "helpers_ro" }) as ArrayMap;
  urodata.set(new Uint8Array(4), rodata);
  const loaded = rt.load(program(body, (r) => ({ opcode: 0x18, dst: r, src: 1, off: 0, imm: 1, imm64: 1n }), (r) => ({ opcode: 0x18, dst: r, src: 2, off: 0, imm: 1, imm64: 1n })), {
    type,
    resolveLoad: (insn) => (insn.src === 1 ? umap.handle : insn.src === 2 ? urodata.valueAddress(0) : undefined),
  });
  const r = loaded.testRun({ data, ...(o.ctx ? { ctx: o.ctx } : {}) });
  const runtime = { retval: r.retval, out: umap.get(new Uint8Array(4))!, data: r.data };
  umap.close();
  urodata.close();
  return { kernel, runtime };
}
