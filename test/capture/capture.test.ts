/**
 * @fileoverview pcap and pcapng: round trips in both timestamp units and byte orders,
 * several interfaces and link types, streaming one byte at a time, every link type to
 * Ethernet, malformed captures (errors with offsets, skipped records with warnings), and
 * tcpdump reading what tsbpf writes.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  CaptureError, CaptureReader, LINK_TYPES, PcapngReader, PcapngWriter, PcapReader, PcapWriter, readCapture, toEthernet,
} from "../../src/capture/index.js";

const pkt = (n: number, len = 60) => Uint8Array.from({ length: len }, (_, i) => (i * 7 + n) & 0xff);
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

function pcapFile(nanosecond: boolean, packets: { data: Uint8Array; timestampNs: bigint }[], linkType = 1) {
  const w = new PcapWriter({ linkType, nanosecond });
  return concat([w.header(), ...packets.map((p) => w.packet(p))]);
}

test("pcap round trip, microseconds and nanoseconds", () => {
  const packets = [{ data: pkt(1), timestampNs: 1_700_000_000_123_456_789n }, { data: pkt(2, 1514), timestampNs: 1_700_000_001_000_000_001n }];
  const ns = readCapture(pcapFile(true, packets));
  assert.equal(ns.format, "pcap");
  assert.deepEqual(ns.packets.map((p) => [p.data, p.timestampNs, p.linkType]), packets.map((p) => [p.data, p.timestampNs, 1]));
  const us = readCapture(pcapFile(false, packets));
  assert.deepEqual(us.packets.map((p) => p.timestampNs), [1_700_000_000_123_456_000n, 1_700_000_001_000_000_000n]);
});

test("big-endian pcap files are read", () => {
  const b = new Uint8Array(24 + 16 + 4);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0xa1b2c3d4, false);
  v.setUint16(4, 2, false);
  v.setUint16(6, 4, false);
  v.setUint32(16, 65535, false);
  v.setUint32(20, 101, false);
  v.setUint32(24, 10, false);
  v.setUint32(28, 5, false);
  v.setUint32(32, 4, false);
  v.setUint32(36, 4, false);
  b.set([0x45, 0, 0, 4], 40);
  const { packets } = readCapture(b);
  assert.equal(packets.length, 1);
  assert.equal(packets[0]!.linkType, 101);
  assert.equal(packets[0]!.timestampNs, 10_000_005_000n);
});

test("pcapng: several interfaces with their link types, nanosecond resolution, comments", () => {
  const w = new PcapngWriter([1, 101, 276]);
  const bytes = concat([
    w.header(),
    w.packet({ data: pkt(1), timestampNs: 5n, interfaceId: 0 }),
    w.packet({ data: pkt(2, 33), timestampNs: 1_700_000_000_000_000_007n, interfaceId: 1, comment: "XDP_TX", outbound: true }),
    w.packet({ data: pkt(3, 41), timestampNs: 9n, interfaceId: 2 }),
  ]);
  const { packets, format } = readCapture(bytes);
  assert.equal(format, "pcapng");
  assert.deepEqual(packets.map((p) => [p.interfaceId, p.linkType, p.data.length, p.timestampNs]), [
    [0, 1, 60, 5n], [1, 101, 33, 1_700_000_000_000_000_007n], [2, 276, 41, 9n],
  ]);
  assert.equal(packets[1]!.comment, "XDP_TX");
  assert.deepEqual(packets[2]!.data, pkt(3, 41));
});

test("streaming: a capture pushed one byte at a time gives the same packets", () => {
  for (const bytes of [pcapFile(true, [{ data: pkt(1), timestampNs: 1n }, { data: pkt(2), timestampNs: 2n }]), (() => {
    const w = new PcapngWriter([1]);
    return concat([w.header(), w.packet({ data: pkt(4), timestampNs: 3n }), w.packet({ data: pkt(5, 17), timestampNs: 4n })]);
  })()]) {
    const r = new CaptureReader();
    const got = [];
    for (let i = 0; i < bytes.length; i++) got.push(...r.push(bytes.subarray(i, i + 1)));
    r.end();
    assert.deepEqual(got, readCapture(bytes).packets);
  }
});

test("every link type reaches the network layer as an Ethernet frame", () => {
  const ip4 = Uint8Array.from([0x45, 0, 0, 20, ...new Array(16).fill(0)]);
  const ip6 = Uint8Array.from([0x60, ...new Array(39).fill(0)]);
  const sll = concat([new Uint8Array(14), Uint8Array.from([0x08, 0x00]), ip4]);
  const sll2 = concat([Uint8Array.from([0x86, 0xdd]), new Uint8Array(18), ip6]);
  const cases: [number, Uint8Array, number][] = [
    [0, concat([Uint8Array.from([2, 0, 0, 0]), ip4]), 0x0800], [0, concat([Uint8Array.from([30, 0, 0, 0]), ip6]), 0x86dd],
    [108, concat([Uint8Array.from([0, 0, 0, 2]), ip4]), 0x0800], [101, ip4, 0x0800], [101, ip6, 0x86dd],
    [228, ip4, 0x0800], [229, ip6, 0x86dd], [113, sll, 0x0800], [276, sll2, 0x86dd],
  ];
  for (const [link, data, etherType] of cases) {
    const eth = toEthernet(data, link)!;
    assert.ok(eth, `link type ${link}`);
    assert.equal((eth[12]! << 8) | eth[13]!, etherType, `link type ${link}`);
    assert.equal(eth[14]! >> 4, etherType === 0x0800 ? 4 : 6);
  }
  assert.equal(toEthernet(new Uint8Array(3), 113), undefined);
  assert.ok(LINK_TYPES.length >= 8);
});

test("malformed captures: typed errors with the byte offset, or skipped records with a warning", () => {
  assert.throws(() => readCapture(Uint8Array.from([1, 2, 3, 4, 5])), (e: unknown) => e instanceof CaptureError && e.offset === 0 && /not a pcap or pcapng file/.test(e.message));
  assert.throws(() => readCapture(new Uint8Array(2)), CaptureError);
  // A record header claiming 16 MiB: the file is corrupt at that record.
  const good = pcapFile(true, [{ data: pkt(1), timestampNs: 1n }]);
  const bad = concat([good, Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1])]);
  const r = new PcapReader();
  assert.throws(() => r.push(bad), (e: unknown) => e instanceof CaptureError && e.offset === good.length && /corrupt/.test(e.message));
  // Truncated at the end: the packets before stand, the rest is a warning.
  const cut = readCapture(good.subarray(0, good.length - 5));
  assert.equal(cut.packets.length, 0);
  assert.match(cut.warnings[0]!.message, /truncated record/);
  const two = pcapFile(false, [{ data: pkt(1), timestampNs: 1n }, { data: pkt(2), timestampNs: 2n }]);
  const half = readCapture(two.subarray(0, two.length - 10));
  assert.equal(half.packets.length, 1);
  assert.equal(half.warnings[0]!.offset, 24 + 16 + 60);
  // pcapng: a block whose trailing length disagrees; a packet on an undefined interface.
  const w = new PcapngWriter([1]);
  const ng = concat([w.header(), w.packet({ data: pkt(1), timestampNs: 1n })]);
  const broken = ng.slice();
  broken[broken.length - 4] ^= 0xff;
  assert.throws(() => new PcapngReader().push(broken), (e: unknown) => e instanceof CaptureError && e.offset === ng.length - 4);
  const stray = readCapture(concat([w.header(), w.packet({ data: pkt(1), timestampNs: 1n, interfaceId: 7 }), w.packet({ data: pkt(2), timestampNs: 2n })]));
  assert.equal(stray.packets.length, 1);
  assert.match(stray.warnings[0]!.message, /interface 7/);
});

let tcpdump = false;
try { execFileSync("tcpdump", ["--version"], { stdio: "ignore" }); tcpdump = true; } catch { /* not installed */ }

test("tcpdump reads the pcap and pcapng tsbpf writes, and tsbpf reads what tcpdump writes", { skip: tcpdump ? false : "tcpdump is not installed" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-programs-capture-"));
  try {
    const frame = new Uint8Array(60);
    frame.set([0x08, 0x00], 12);
    frame.set([0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0, 53, 0, 26, 0, 0], 14);
    writeFileSync(join(dir, "a.pcap"), pcapFile(true, [{ data: frame, timestampNs: 1_000_000_000n }, { data: frame, timestampNs: 2_000_000_000n }]));
    const w = new PcapngWriter([1]);
    writeFileSync(join(dir, "a.pcapng"), concat([w.header(), w.packet({ data: frame, timestampNs: 3n, comment: "hi" })]));
    const text = execFileSync("tcpdump", ["-n", "-r", join(dir, "a.pcap")], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    assert.equal(text.trim().split("\n").length, 2);
    assert.match(text, /10\.0\.0\.1\.12345 > 10\.0\.0\.2\.53/);
    const ng = execFileSync("tcpdump", ["-n", "-r", join(dir, "a.pcapng")], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    assert.match(ng, /10\.0\.0\.1\.12345 > 10\.0\.0\.2\.53/);
    execFileSync("tcpdump", ["-r", join(dir, "a.pcapng"), "-w", join(dir, "b.pcap")], { stdio: "ignore" });
    const back = readCapture(new Uint8Array(readFileSync(join(dir, "b.pcap"))));
    assert.deepEqual(back.packets.map((p) => p.data), [frame]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
