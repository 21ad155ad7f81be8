import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { objectCommand } from "../../src/cli/object.js";
import { memoryIo } from "../../src/cli/io.js";
import { FIXTURES } from "./helpers.js";

async function run(...args: string[]) {
  const io = memoryIo();
  const code = await objectCommand(args, io);
  return { code, ...io };
}

test("tsbpf object --json: programs and maps with the kernel's type names", async () => {
  const { code, stdout } = await run(join(FIXTURES, "maps-helpers.bpf.o"), "--json");
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(stdout), {
    programs: [{ name: "count_packets", section: "xdp", type: "xdp", insns: 31 }], // slots, as bpf_program__insn_cnt
    maps: [
      { name: "last_seen", type: "hash", key_size: 4, value_size: 8, max_entries: 1024, flags: 0 },
      { name: "counters", type: "array", key_size: 4, value_size: 8, max_entries: 4, flags: 0 },
      { name: "maps_hel.rodata", type: "array", key_size: 4, value_size: 22, max_entries: 1, flags: 0x80 },
    ],
  });
});

test("tsbpf object: a table of programs (section, type, insns, source) and maps", async () => {
  const { code, stdout } = await run(join(FIXTURES, "multi-prog.bpf.o"));
  assert.equal(code, 0);
  assert.match(stdout, /^programs \(6\):/m);
  assert.match(stdout, /on_openat\s+tracepoint\/syscalls\/sys_enter_openat\s+tracepoint\s+12\s+\.\/multi-prog\.bpf\.c/);
  assert.match(stdout, /^maps \(1\):/m);
  assert.match(stdout, /hits\s+array\s+4\s+8\s+6\s+0x0/);
  assert.match(stdout, /^license: GPL$/m);
});

test("tsbpf object: externs take --kconfig values; a bad --kconfig or missing file is an error", async () => {
  const ok = await run(join(FIXTURES, "externs.bpf.o"), "--kconfig", "LINUX_KERNEL_VERSION=1", "--kconfig", "CONFIG_HZ=250", "--json");
  if (ok.code === 0) assert.ok(JSON.parse(ok.stdout).maps.some((m: { name: string }) => m.name === "externs.kconfig"));
  await assert.rejects(run(join(FIXTURES, "externs.bpf.o"), "--kconfig", "nonsense"), /expected NAME=VALUE/);
  const usage = await run();
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /usage: tsbpf object/);
});
