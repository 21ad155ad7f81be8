/**
 * `tsbpf run` with both engines: the interpreter and the kernel must agree on the same
 * object, packet and bytecode.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { main } from "../../src/cli/main.js";
import { memoryIo } from "../../src/cli/io.js";
import { kernelAvailable } from "../../src/kernel/index.js";
import { assemble } from "../../src/isa/assembler.js";
import { encode } from "../../src/isa/instruction.js";

const here = kernelAvailable();
const skip = here.ok ? false : `no bpf() here: ${here.reason}`;
const dir = mkdtempSync(join(tmpdir(), "tsbpf-run-"));
const PARSE = new URL("../../bench/progs/parse.bpf.o", import.meta.url).pathname;
const PACKET = new URL("../../bench/pkt_tcp1500.bin", import.meta.url).pathname;
const XDP_PARSER = new URL("../fixtures/xdp-parser.bpf.o", import.meta.url).pathname;
const FIREWALL = new URL("../../examples/xdp_firewall.bpf.o", import.meta.url).pathname;

async function json(...argv: string[]) {
  const io = memoryIo();
  const code = await main(["run", ...argv, "--json"], io);
  assert.equal(code, 0, io.stderr);
  return JSON.parse(io.stdout);
}

/** An IPv4/TCP frame to port 22, which the example firewall drops. */
function sshPacket(): Uint8Array {
  const p = new Uint8Array(64);
  p.set([0x08, 0x00], 12); // ETH_P_IP
  p[14] = 0x45; // version 4, ihl 5
  p[23] = 6; // TCP
  p.set([0x00, 0x16], 36); // dport 22
  return p;
}

test("an object's program gives the same retval and packet in the interpreter and the kernel", { skip }, async () => {
  const packets: [string, string][] = [];
  try { readFileSync(PACKET); packets.push([PARSE, PACKET]); } catch { /* no bench packets here */ }
  const ssh = join(dir, "ssh.bin");
  writeFileSync(ssh, sshPacket());
  packets.push([XDP_PARSER, ssh]);
  for (const [object, packet] of packets) {
    const interp = await json(object, "--data", packet, "--engine", "interp");
    const kernel = await json(object, "--data", packet, "--engine", "kernel", "--repeat", "10");
    assert.equal(interp.retval, kernel.retval, object);
    assert.equal(interp.data, kernel.data, object);
    assert.equal(typeof kernel.duration_ns, "number");
  }
});

test("a program with maps runs in the kernel and in the interpreter, with the same verdict", { skip }, async () => {
  const ssh = join(dir, "ssh2.bin");
  writeFileSync(ssh, sshPacket());
  assert.equal((await json(FIREWALL, "--data", ssh, "--engine", "kernel")).retval, 1); // XDP_DROP
  const interp = await json(FIREWALL, "--data", ssh);
  assert.equal(interp.retval, 1);
});

test("raw bytecode gives all 64 bits of r0 in both engines", { skip }, async () => {
  const prog = join(dir, "wide.bin");
  writeFileSync(prog, encode(assemble("r0 = 0x123456789abcdef0 ll\nr0 += r2\n*(u8 *)(r1 + 1) = 0x55\nexit").instructions));
  const mem = join(dir, "wide.mem");
  writeFileSync(mem, new Uint8Array(4));
  const interp = await json("--raw", prog, "--mem", mem);
  const kernel = await json("--raw", prog, "--mem", mem, "--engine", "kernel");
  assert.equal(interp.r0, "0x123456789abcdef4");
  assert.equal(kernel.r0, interp.r0);
  assert.equal(kernel.memory, "00550000");
  assert.equal(interp.memory, kernel.memory);
  assert.equal(kernel.retval, 0x9abcdef4);
});

test("run names the programs it has when asked for one it does not", async () => {
  const io = memoryIo();
  assert.equal(await main(["run", XDP_PARSER, "--prog", "nope"], io), 1);
  assert.match(io.stderr, /no program or section nope \(/);
});

test("a fault in the interpreter names the instruction, the address, the regions and the source line", async () => {
  const fault = new URL("../fixtures/fault.bpf.o", import.meta.url).pathname;
  const io = memoryIo();
  assert.equal(await main(["run", fault], io), 1);
  assert.match(io.stderr, /insn \d+ \(r\d = \*\(u8 \*\)\(r\d \+ 0x7d0\)\): invalid read of 1 bytes at 0x[0-9a-f]+/);
  assert.match(io.stderr, /regions: .*packet \[0x[0-9a-f]+, 0x[0-9a-f]+\)/);
  assert.match(io.stderr, /at \.\/fault\.bpf\.c:11:\d+: return data\[2000\] == 7 \? XDP_DROP : XDP_PASS;/);
});

test("run --data --json shows the maps, the records and the redirect target the run left, in either engine", async () => {
  const obj = new URL("../fixtures/run-summary.bpf.o", import.meta.url).pathname;
  const pkt = join(dir, "odd.bin");
  writeFileSync(pkt, Uint8Array.from({ length: 64 }, (_, i) => (i === 0 ? 1 : 0xaa)));
  for (const engine of here.ok ? ["interp", "kernel"] : ["interp"]) {
    const io = memoryIo();
    assert.equal(await main(["run", obj, "--data", pkt, "--engine", engine, "--json"], io), 0, io.stderr);
    const r = JSON.parse(io.stdout);
    assert.equal(r.retval, 4, engine);
    assert.deepEqual(r.records.events, [{ len: 64, first: 1, pad: [0, 0, 0] }], engine);
    // A kernel that refuses perf_event_open (perf_event_paranoid) has no perf records to show.
    if (engine === "interp" || r.records.perf) assert.equal(r.records.perf.length, 1, engine);
    assert.ok("run_summ.bss" in r.maps, engine);
    if (engine === "interp") assert.equal(r.redirect, "ifindex 7");
  }
  const text = memoryIo();
  assert.equal(await main(["run", obj, "--data", pkt], text), 0);
  assert.match(text.stdout, /^redirect -> ifindex 7$/m);
  assert.match(text.stdout, /^events: 1 record \(struct pkt_event\)$/m);
});
