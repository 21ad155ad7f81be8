/**
 * @fileoverview The log: instruction lines with the registers they touched, as the
 * kernel's level 2 prints them (checked against the kernel's own log where bpf() works),
 * the statistics line, the failing path alone at level 1, the JSON states, and error lines
 * in the kernel's words.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "../../src/isa/assembler.js";
import { KernelProgram, summarizeLog } from "../../src/kernel/index.js";
import type { MapSpec } from "../../src/object/types.js";
import { verifyProgram } from "../../src/verifier/index.js";
import { skip } from "../kernel/helpers.js";
import { MAPS, type Case } from "./cases.js";
import { build, createMaps, kernelVerdict } from "./cases-kernel.js";

const PROGRAM = assemble(`
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)
  w0 = 0
  r4 = r2
  r4 += 8
  if r4 > r3 goto +3
  r0 = *(u8 *)(r2 + 0)
  r0 &= 15
  r0 += 1
  exit`).instructions;

const insnLines = (log: string) => log.split("\n").filter((l) => /^\d+: \(/.test(l));

test("level 2 prints each instruction with the registers it touched", () => {
  const r = verifyProgram({ instructions: PROGRAM }, { type: "xdp", logLevel: 2 });
  assert.ok(r.accepted);
  const lines = insnLines(r.log);
  assert.equal(lines[0], "0: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2=pkt(r=0)");
  assert.equal(lines[4], "4: (07) r4 += 8                       ; R4=pkt(off=8,r=0)");
  assert.match(r.log, /^processed \d+ insns \(limit 1000000\) max_states_per_insn \d+ total_states \d+ peak_states \d+ mark_read 0$/m);
  assert.ok(r.states && r.states.length > 0 && r.states[0]!.state.includes("R2=pkt(r=0)"));
});

test("the kernel's level-2 lines are tsbpf's", { skip }, () => {
  const k = KernelProgram.load({ type: "xdp", instructions: PROGRAM, logLevel: 2 });
  k.close();
  const ours = insnLines(verifyProgram({ instructions: PROGRAM }, { type: "xdp", logLevel: 2 }).log);
  // The straight-line part before the first branch is popped: the same text, line for line.
  const theirs = insnLines(k.log);
  assert.deepEqual(ours.slice(0, 9), theirs.slice(0, 9));
});

test("level 1 keeps the failing path, not the paths that passed", () => {
  const bad = assemble(`
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r0 = 0
    r4 = r2
    r4 += 8
    if r4 > r3 goto +2
    r0 = *(u8 *)(r2 + 0)
    exit
    r0 = *(u8 *)(r2 + 0)
    exit`).instructions;
  const r = verifyProgram({ instructions: bad }, { type: "xdp", logLevel: 1 });
  assert.ok(!r.accepted);
  assert.doesNotMatch(r.log, /^6: /m, "the path that passed is dropped");
  assert.match(r.log, /^from 5 to 8: /m);
  assert.match(r.log, /^8: \(71\) r0 = \*\(u8 \*\)\(r2 \+0\)$/m);
  assert.match(r.log, /R2 offset is outside of the packet\nprocessed \d+ insns/);
  assert.deepEqual(r.error!.path, ["5->8"], "the branch that led there");
});

/**
 * The error line is the kernel's: the last meaningful line of its log (summarizeLog, as the
 * kernel engine reports it) equals tsbpf's `error`, and the lines the kernel prints before it
 * are tsbpf's detail. One program per message class brought to the kernel's words.
 */
const LEAK = "r1 = map[rb] ll\nr2 = 8\nr3 = 0\ncall 131";
const MESSAGES: readonly (Case & { readonly error: string; readonly before?: readonly string[] })[] = [
  // check_resource_leak, from each way out; the NULL-able r0 takes id 1, acquire_reference id 2.
  { name: "a record leaked at exit", asm: `${LEAK}\nr0 = 0\nexit`, error: "BPF_EXIT instruction in main prog would lead to reference leak", before: ["Unreleased reference id=2 alloc_insn=4"] },
  { name: "a record leaked by a tail call", asm: `r6 = r1\n${LEAK}\nr1 = r6\nr2 = map[progs] ll\nr3 = 0\ncall 12\nr0 = 0\nexit`, error: "tail_call would lead to reference leak", before: ["Unreleased reference id=2 alloc_insn=5"] },
  { name: "a record leaked by a packet load", type: "socket_filter", asm: `r6 = r1\n${LEAK}\nr0 = *(u8 *)skb[0]\nr0 = 0\nexit`, error: "BPF_LD_[ABS|IND] would lead to reference leak" },
  // check_reg_type's list for each socket argument.
  { name: "sk_release of a number", type: "sched_cls", asm: "r1 = 1\ncall 86\nr0 = 0\nexit", error: "R1 type=scalar expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_" },
  { name: "tcp_sock of a number", type: "sched_cls", asm: "r1 = 1\ncall 96\nr0 = 0\nexit", error: "R1 type=scalar expected=sock_common, sock, tcp_sock, xdp_sock" },
  // check_ptr_to_map_access names the map's kernel struct.
  { name: "a map pointer read below its start", asm: "r1 = map[arr8] ll\nr0 = *(u64 *)(r1 - 8)\nr0 = 0\nexit", error: "R1 is bpf_array invalid negative access: off=-8" },
  { name: "a write into a hash map's struct", asm: "r1 = map[hash8] ll\nr0 = 0\n*(u64 *)(r1 + 8) = r0\nexit", error: "only read from bpf_htab is supported" },
  // check_ptr_alignment comes before the stack's bounds.
  { name: "a misaligned stack read past the frame", asm: "r0 = *(u64 *)(r10 - 4)\nexit", error: "misaligned stack access off 0+0+-4 size 8" },
  // The states is_state_visited prints after the verdict are not the verdict.
  { name: "an infinite loop", asm: "r0 = 0\nl:\ngoto l", error: "infinite loop detected at insn 1" },
];

for (const c of MESSAGES) {
  test(`tsbpf says the kernel's words: ${c.name}`, () => {
    const { instructions, references } = build(c);
    const r = verifyProgram({ instructions, references }, { maps: MAPS as MapSpec[], type: c.type ?? "xdp" });
    assert.equal(r.error?.message, c.error);
    for (const line of c.before ?? []) assert.ok(r.error!.detail.includes(line), `detail ${JSON.stringify(r.error!.detail)} lacks ${line}`);
  });
}

test("the kernel's error lines are those", { skip }, () => {
  const maps = createMaps();
  try {
    const wrong: string[] = [];
    for (const c of MESSAGES) {
      const log = kernelVerdict(c, maps) ?? "(accepted)";
      if (summarizeLog(log) !== c.error) wrong.push(`${c.name}: the kernel says ${JSON.stringify(summarizeLog(log))}`);
      for (const line of c.before ?? []) if (!log.split("\n").includes(line)) wrong.push(`${c.name}: no ${JSON.stringify(line)} in the kernel's log`);
    }
    assert.deepEqual(wrong, []);
  } finally {
    for (const m of maps.values()) m.close();
  }
});

// A branch (each path's state, each exit), and a stack pointer moved by a scalar the branch
// made precise (mark_precise's walk back, the touched R10 and stack slot, a state on its own line).
for (const asm of ["r0 = 0\nif r1 == 0 goto +1\nr0 = 1\nexit", "r2 = 8\nr2 = -r2\nif r2 != -8 goto +3\nr1 = r10\nr1 += r2\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit"]) {
  test(`level 2 prints what the kernel's does: ${asm.split("\n")[1]}`, { skip }, () => {
    const prog = assemble(asm).instructions;
    const k = KernelProgram.load({ type: "xdp", instructions: prog, logLevel: 2 });
    k.close();
    // From the first state line on: the kernel's func#/live-regs preamble is not printed.
    // Nor its stack-liveness pass (`(0) frame 0 insn 5 +written -8`), which tsbpf does not print.
    const walked = (log: string) => log.split("\n").slice(log.split("\n").indexOf("0: R1=ctx() R10=fp0")).filter((l) => !/^(stack depth|processed|\(\d+\) )/.test(l));
    assert.deepEqual(walked(verifyProgram({ instructions: prog }, { type: "xdp", logLevel: 2 }).log), walked(k.log));
  });
}

test("BPF_LOG_STATS adds the time and each subprogram's stack depth, as the kernel's", { skip }, () => {
  const prog = assemble("r1 = 0\n*(u64 *)(r10 - 8) = r1\nr0 = 0\nexit").instructions;
  const k = KernelProgram.load({ type: "xdp", instructions: prog, logLevel: 4 });
  k.close();
  const ours = verifyProgram({ instructions: prog }, { type: "xdp", logLevel: 4 }).log;
  const shape = (log: string) => log.trim().split("\n").map((l) => l.replace(/^verification time \d+ usec$/, "verification time N usec"));
  assert.deepEqual(shape(ours), shape(k.log));
});
