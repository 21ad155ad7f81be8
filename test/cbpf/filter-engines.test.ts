/**
 * @fileoverview `tsbpf filter --engine/--compare/--attach-test` and attachFilterExpression: a
 * compiled filter counts the same on every engine, --compare names the packets engines
 * disagree on, and SO_ATTACH_FILTER of a compiled expression filters real frames in a netns.
 */

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { PcapWriter, readCapture } from "../../src/capture/index.js";
import { runCbpf } from "../../src/cbpf/interpreter.js";
import { compileFilter } from "../../src/cbpf/pcap/index.js";
import { memoryIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { attachFilterExpression, inNetns, PacketSocket } from "../../src/kernel/index.js";
import { skip as noKernel } from "../kernel/helpers.js";

const ETHERNET = new URL("./captures/ethernet.pcap", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "tsbpf-filter-engines-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const hasTcpdump = spawnSync("tcpdump", ["--version"]).status === 0;

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, ...io };
}

/** Ethernet + IPv4 + UDP or TCP from 10.0.0.1 to 10.0.0.2, to port `dport`, `pad` bytes of payload. */
function frame(proto: 6 | 17, dport: number, pad = 30): Uint8Array {
  const l4 = proto === 6 ? 20 : 8;
  const f = new Uint8Array(14 + 20 + l4 + pad);
  f.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
  f.set([0x45, 0, 0, 20 + l4 + pad, 0, 1, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  f.set([0x30, 0x39, dport >> 8, dport & 0xff], 34);
  if (proto === 6) f[46] = 0x50;
  return f;
}

const engines = ["cbpf", "interp", "jit", ...(noKernel ? [] : ["kernel"])];

test("--engine: every engine counts what tcpdump (or the classic interpreter) counts", async () => {
  for (const expr of ["tcp port 80", "udp", "vlan and udp", "host 10.0.0.1 and not port 22"]) {
    const want = hasTcpdump
      ? /^(\d+ packets?)/m.exec(execFileSync("tcpdump", ["-r", ETHERNET, "--count", expr], { stdio: ["ignore", "pipe", "pipe"] }).toString())![1]
      : (await run("filter", "-r", ETHERNET, "--count", expr)).stdout.trim();
    for (const engine of engines) {
      const r = await run("filter", expr, "-r", ETHERNET, "--count", "--engine", engine);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), want, `${engine}: ${expr}`);
    }
  }
  const bad = await run("filter", "tcp", "-r", ETHERNET, "--engine", "bogus");
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--engine bogus: not one of cbpf, interp, jit, kernel/);
});

test("--engine prints one summary line per match, as the default engine does", async () => {
  const a = await run("filter", "udp port 53", "-r", ETHERNET);
  const b = await run("filter", "udp port 53", "-r", ETHERNET, "--engine", "jit");
  assert.ok(a.stdout.split("\n").length > 2);
  assert.equal(b.stdout, a.stdout);
  // -w writes the same packets the default engine writes.
  const [wa, wb] = [join(dir, "a.pcap"), join(dir, "b.pcap")];
  assert.equal((await run("filter", "udp port 53", "-r", ETHERNET, "-w", wa)).code, 0);
  assert.equal((await run("filter", "udp port 53", "-r", ETHERNET, "-w", wb, "--engine", "interp")).code, 0);
  assert.deepEqual(readCapture(new Uint8Array(readFileSync(wb))).packets.map((p) => p.data), readCapture(new Uint8Array(readFileSync(wa))).packets.map((p) => p.data));
  assert.equal(readCapture(new Uint8Array(readFileSync(wb))).packets.length, a.stdout.trim().split("\n").length);
});

test("--compare: agreement, and the packets a cut capture makes differ on `len`", async () => {
  const cap = join(dir, "cut.pcap");
  const w = new PcapWriter({ linkType: 1, nanosecond: true });
  const full = frame(17, 53, 100);
  writeFileSync(cap, Buffer.concat([w.header(), w.packet({ data: full, timestampNs: 1n }), w.packet({ data: full.subarray(0, 60), originalLength: full.length, timestampNs: 2n }), w.packet({ data: frame(6, 80), timestampNs: 3n })]));
  const same = await run("filter", "udp", "-r", cap, "--compare");
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /the engines agree on all 3 packets/);
  assert.match(same.stdout, new RegExp(`^${engines.map((e) => `${e} 2 packets`).join(", ")}$`, "m"));
  // The classic interpreter sees the wire length (as tcpdump), a socket only the bytes it got.
  const cut = await run("filter", "greater 100", "-r", cap, "--compare");
  assert.equal(cut.code, 1);
  assert.match(cut.stdout, /^packet 2: cbpf 262144, interp 0, jit 0.* \(captured 60 of 142 bytes: the eBPF engines see len 60\)$/m);
  assert.match(cut.stdout, /1 of 3 packets differ/);
  // protochain loops backwards, which no socket filter may: only the classic interpreter runs it.
  const loop = await run("filter", "protochain 6", "-r", cap, "--compare");
  assert.equal(loop.code, 0);
  assert.match(loop.stderr, /warning: jit left out: insn \d+: ja .* jumps out of the program/);
  assert.match(loop.stdout, /only cbpf could run the program/);
});

function netnsSkip(): string | false {
  if (noKernel) return noKernel;
  if (process.getuid?.() !== 0) return "needs root for a network namespace";
  if (spawnSync("ip", ["-V"]).status !== 0) return "needs iproute2 (ip)";
  return false;
}

test("attachFilterExpression: a compiled expression on a packet socket filters real frames", { skip: netnsSkip() }, () => {
  const ns = `tsbpf-attach-${process.pid}`;
  const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] }).toString();
  ip("netns", "add", ns);
  try {
    execFileSync("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]);
    ip("-n", ns, "link", "add", "va", "type", "veth", "peer", "name", "vb");
    ip("-n", ns, "link", "set", "va", "up");
    ip("-n", ns, "link", "set", "vb", "up");
    const index = (dev: string) => Number(/^(\d+):/.exec(ip("-n", ns, "-o", "link", "show", dev))![1]);
    const [tx, all, dns] = inNetns(`/run/netns/${ns}`, () => [new PacketSocket(index("va")), new PacketSocket(index("vb")), new PacketSocket(index("vb"))] as const);
    try {
      all.setTimeout(1000);
      const program = attachFilterExpression(dns.fd, "udp port 53");
      assert.deepEqual(program, compileFilter("udp port 53").program);
      while (dns.receive(false));
      while (all.receive(false));
      const sent = [frame(17, 53), frame(6, 53), frame(17, 54), frame(6, 80), frame(17, 53, 300)];
      const got: number[] = [];
      for (const f of sent) {
        tx.send(f);
        assert.ok(all.receive(true), "every frame arrives");
        got.push(dns.receive(false)?.length ?? 0);
      }
      // libpcap's accept length is 262144: the whole frame.
      assert.deepEqual(got, [sent[0]!.length, 0, 0, 0, sent[4]!.length]);
    } finally {
      for (const s of [tx, all, dns]) s.close();
    }
  } finally {
    ip("netns", "del", ns);
  }
});

test("--attach-test: the frames SO_ATTACH_FILTER passes are the ones the classic interpreter matches", { skip: netnsSkip() }, async () => {
  const frames = readCapture(new Uint8Array(readFileSync(ETHERNET))).packets.map((p) => p.data).filter((d) => d.length >= 14 && d.length <= 1514);
  for (const expr of ["udp", "tcp[tcpflags] & tcp-syn != 0"]) {
    const program = compileFilter(expr, { savefile: true }).program;
    const want = frames.filter((d) => runCbpf(program, d, { length: d.length }) !== 0).length;
    const r = await run("filter", expr, "-r", ETHERNET, "--attach-test");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${want} of ${frames.length} frames passed the filter attached with SO_ATTACH_FILTER`);
    assert.ok(want > 0 && want < frames.length, expr);
  }
});
