/**
 * @fileoverview The kernel backend's errors, which need no kernel: their messages,
 * codes and the one-line summary of a verifier log.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { BpfError } from "../../src/errors.js";
import { BpfSyscallError, ClosedError, KernelBtfError, KernelVerifierError, kernelAvailable, summarizeLog } from "../../src/kernel/index.js";

test("a failed command names the command, the errno and its meaning", () => {
  const e = new BpfSyscallError("BPF_MAP_CREATE", 7);
  assert.equal(e.message, "bpf(BPF_MAP_CREATE): E2BIG (Argument list too long)");
  assert.equal(e.name, "BpfSyscallError");
  assert.equal(e.code, "ESYSCALL");
  assert.ok(e instanceof BpfError);
  assert.equal(new BpfSyscallError("BPF_PROG_LOAD", 524, "load xdp program").message, "load xdp program: bpf(BPF_PROG_LOAD): ENOTSUPP (Operation is not supported)");
  assert.equal(new BpfSyscallError("BPF_OBJ_GET", 4242).errnoName, "errno 4242");
});

const LOG = `func#0 @0
0: R1=ctx() R10=fp0
0: (95) exit
R0 !read_ok
processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`;

test("a verifier log is summed up by its last line that is not a statistic", () => {
  assert.equal(summarizeLog(LOG), "R0 !read_ok");
  assert.equal(summarizeLog("a\nverification time 12 usec\nstack depth 0\n\n"), "a");
  assert.equal(summarizeLog(""), "");
  assert.equal(summarizeLog("infinite loop detected at insn 1\ncur state: R0=1 R1=ctx() R10=fp0\nold state: R0=1 R1=ctx() R10=fp0\nprocessed 3 insns"), "infinite loop detected at insn 1");
});

test("a verifier error is one line, with the whole log one property away", () => {
  const e = new KernelVerifierError("load socket_filter program", 13, LOG);
  assert.equal(e.message, "load socket_filter program: R0 !read_ok");
  assert.equal(e.code, "EVERIFIER");
  assert.equal(e.log, LOG);
  assert.equal(e.errnoName, "EACCES");
  assert.equal(e.truncated, false);
  assert.equal(new KernelVerifierError("load", 22, "").message, "load: EINVAL (Invalid argument)");
});

test("the other errors read as they should", () => {
  assert.equal(new KernelBtfError(22, "magic: 0xeb00\nInvalid magic").message, "load btf: Invalid magic");
  assert.equal(new ClosedError('map "counters"').message, 'map "counters": used after close()');
});

test("kernelAvailable answers with a reason when it says no", () => {
  const a = kernelAvailable();
  assert.equal(typeof a.ok, "boolean");
  if (!a.ok) assert.ok(a.reason.length > 0);
  assert.equal(kernelAvailable(), a, "the answer is computed once");
});
