/**
 * @fileoverview `tsbpf run --pcap`: outputs written as the program left the packets,
 * malformed captures (a truncated end is a warning, corruption part way an error after the
 * packets before it), and --compare's report.
 */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readCapture } from "../../src/capture/index.js";
import { memoryIo } from "../../src/cli/io.js";
import { runCommand } from "../../src/cli/run.js";

const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await runCommand(argv, (l) => io.out(l), (l) => io.err(l));
  return { code, ...io };
}

test("-w writes the packets that pass, byte for byte as the program left them, in pcap or pcapng", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-programs-run-"));
  try {
    const out = join(dir, "out.pcap");
    const r = await run(EXAMPLES + "xdp_firewall.bpf.o", "--pcap", EXAMPLES + "traffic.pcap", "-w", out, "--json");
    const s = JSON.parse(r.stdout);
    const written = readCapture(new Uint8Array(readFileSync(out)));
    assert.equal(written.packets.length, s.verdicts.XDP_PASS);
    assert.equal(s.written.packets, s.verdicts.XDP_PASS);
    const input = readCapture(new Uint8Array(readFileSync(EXAMPLES + "traffic.pcap"))).packets;
    // The firewall does not modify packets: each written one is an input packet, at its time.
    const byTime = new Map(input.map((p) => [p.timestampNs, p.data]));
    for (const p of written.packets) assert.deepEqual(p.data, byTime.get(p.timestampNs));
    const ng = join(dir, "out.pcapng");
    await run(EXAMPLES + "xdp_firewall.bpf.o", "--pcap", EXAMPLES + "traffic.pcap", "-w", ng);
    assert.equal(readCapture(new Uint8Array(readFileSync(ng))).packets.length, s.verdicts.XDP_PASS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a capture cut short: the packets before the cut are run and counted, the rest is a warning", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-programs-run-"));
  try {
    const bytes = readFileSync(EXAMPLES + "traffic.pcap");
    const cut = join(dir, "cut.pcap");
    writeFileSync(cut, bytes.subarray(0, bytes.length - 30));
    const r = await run(EXAMPLES + "xdp_firewall.bpf.o", "--pcap", cut);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /over cut\.pcap: 399 packets/);
    assert.match(r.stderr, /warning: offset \d+: truncated record/);
    // Corruption part way: an error with the offset, after the summary of what came before.
    const bad = Buffer.from(bytes);
    bad.writeUInt32LE(0x7fffffff, 24 + 16 + bad.readUInt32LE(24 + 8) + 8); // the second record's length
    const corrupt = join(dir, "corrupt.pcap");
    writeFileSync(corrupt, bad);
    const c = await run(EXAMPLES + "xdp_firewall.bpf.o", "--pcap", corrupt);
    assert.equal(c.code, 1);
    assert.match(c.stdout, /over corrupt\.pcap: 1 packet in the (jit|interp) engine/);
    assert.match(c.stderr, /error: capture offset \d+: record of 2147483647 bytes/);
    const notCapture = join(dir, "x.pcap");
    writeFileSync(notCapture, "hello, world");
    const n = await run(EXAMPLES + "xdp_firewall.bpf.o", "--pcap", notCapture);
    assert.equal(n.code, 1);
    assert.match(n.stderr, /error: capture offset 0: not a pcap or pcapng file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--compare needs two engines and a capture", async () => {
  await assert.rejects(run(EXAMPLES + "xdp_firewall.bpf.o", "--pcap", EXAMPLES + "traffic.pcap", "--compare", "interp"), /name two or three engines/);
  await assert.rejects(run(EXAMPLES + "xdp_firewall.bpf.o", "--compare", "interp,kernel"), /--compare needs --pcap/);
});

test("the summary names redirect targets and shows ring buffer and perf buffer records through BTF; the kernel agrees", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-run-summary-"));
  try {
    const { PcapWriter } = await import("../../src/capture/index.js");
    const w = new PcapWriter({ linkType: 1 });
    const parts = [w.header()];
    for (let i = 0; i < 6; i++) parts.push(w.packet({ data: Uint8Array.from({ length: 60 + i }, (_, j) => (j === 0 ? i : 0xaa)), timestampNs: BigInt(i) * 1000n }));
    const cap = join(dir, "in.pcap");
    writeFileSync(cap, Buffer.concat(parts));
    const obj = new URL("../fixtures/run-summary.bpf.o", import.meta.url).pathname;
    const s = JSON.parse((await run(obj, "--pcap", cap, "--json")).stdout);
    assert.deepEqual(s.verdicts, { XDP_PASS: 3, XDP_REDIRECT: 3 });
    assert.deepEqual(s.redirects, { "XDP_REDIRECT -> ifindex 7": 3 });
    assert.deepEqual(s.records.events.map((e: { len: number; first: number }) => [e.len, e.first]), [[60, 0], [61, 1], [62, 2], [63, 3], [64, 4], [65, 5]]);
    assert.equal(s.records.perf.length, 6);
    assert.equal(s.maps.events, undefined);
    const text = await run(obj, "--pcap", cap);
    assert.match(text.stdout, /^ {2}XDP_REDIRECT -> ifindex 7 +3$/m);
    assert.match(text.stdout, /^events: 6 records \(struct pkt_event\)$/m);
    const { kernelAvailable } = await import("../../src/kernel/index.js");
    if (kernelAvailable().ok) {
      const c = await run(obj, "--pcap", cap, "--compare", "interp,kernel");
      assert.equal(c.code, 0, c.stdout + c.stderr);
      assert.match(c.stdout, /^no differences$/m);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
