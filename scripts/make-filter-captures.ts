/**
 * @fileoverview Writes the captures the filter tests count on (test/cbpf/captures/*.pcap):
 * the same made-up traffic (IPv4/IPv6 TCP, UDP, ICMP, fragments, options, extension headers,
 * ARP) on every link type the compiler supports, plus VLAN (stacked), MPLS, PPPoE, LLC and
 * Geneve frames on Ethernet. Fixed seed: `node --import tsx scripts/make-filter-captures.ts`.
 */

import { writeFileSync } from "node:fs";
import { PcapWriter } from "../src/capture/index.js";

const OUT = new URL("../test/cbpf/captures/", import.meta.url);

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const rand = rng(15);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const be16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const be32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const ip4 = (s: string) => s.split(".").map(Number);

function ip6(s: string): number[] {
  const [l, r = ""] = s.split("::");
  const a = l ? l.split(":") : [], b = r ? r.split(":") : [];
  const g = s.includes("::") ? [...a, ...Array(8 - a.length - b.length).fill("0"), ...b] : a;
  return g.flatMap((x) => be16(parseInt(x, 16)));
}

const V4 = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.1.2.3", "192.168.1.10", "192.168.0.1", "172.16.5.4", "8.8.8.8", "224.0.0.1", "255.255.255.255", "0.0.0.0", "10.255.255.255"];
const V6 = ["2001:db8::1", "2001:db8::2", "2001:db8:1:2::5", "fe80::1", "::1", "ff02::1", "::ffff:a00:1", "2001:db8:ffff::9"];
const PORTS = [80, 443, 22, 53, 8080, 1024, 1023, 5000, 20, 0, 65535, 123, 90, 2000, 1500];
const MACS = [[0, 0x11, 0x22, 0x33, 0x44, 0x55], [2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x01, 0x00, 0x5e, 0, 0, 1], [0x33, 0x33, 0, 0, 0, 1]];

function l4(proto: number): number[] {
  const flags = pick([0x02, 0x12, 0x10, 0x11, 0x04, 0x18, 0x29, 0xc2, 0x01]);
  switch (proto) {
    case 6: return [...be16(pick(PORTS)), ...be16(pick(PORTS)), ...be32(Math.floor(rand() * 2 ** 32)), 0, 0, 0, 0, pick([0x50, 0x60, 0x80]), flags, 0xff, 0xff, 0, 0, 0, 0, ...Array(pick([0, 4, 12])).fill(1), ...Array.from("GET / HTTP", (c) => c.charCodeAt(0))];
    case 17: return [...be16(pick(PORTS)), ...be16(pick(PORTS)), ...be16(8 + 12), 0, 0, ...Array(12).fill(0).map(() => Math.floor(rand() * 256))];
    case 132: return [...be16(pick(PORTS)), ...be16(pick(PORTS)), 0, 0, 0, 0, 0, 0, 0, 0];
    case 1: return [pick([0, 3, 8, 11, 5, 13, 17]), pick([0, 1, 3]), 0, 0, 0, 1, 0, 1];
    case 58: return [pick([128, 129, 135, 136, 133, 134, 1]), 0, 0, 0, 0, 1, 0, 1];
    case 2: return [0x11, 0x64, 0, 0, ...ip4("224.0.0.1")];
    default: return Array(8).fill(0xab);
  }
}

/** An IPv4 packet; sometimes with options, sometimes a fragment. */
function ipv4Packet(): number[] {
  const proto = pick([6, 6, 6, 17, 17, 1, 2, 132, 47, 50, 51, 103, 112, 9]);
  const opts = rand() < 0.15 ? [1, 1, 1, 0] : [];
  const frag = rand() < 0.12 ? pick([0x2000, 0x0010, 0x2010, 0x4000]) : 0x4000 * (rand() < 0.5 ? 1 : 0);
  const body = l4(proto);
  const total = 20 + opts.length + body.length;
  const tos = pick([0, 0, 0xb8, 0x10]);
  return [0x40 | (5 + opts.length / 4), tos, ...be16(total), 0, 1, ...be16(frag), pick([64, 1, 128, 255]), proto, 0, 0, ...ip4(pick(V4)), ...ip4(pick(V4)), ...opts, ...body];
}

/** An IPv6 packet; sometimes behind hop-by-hop, routing or fragment headers. */
function ipv6Packet(): number[] {
  const proto = pick([6, 6, 17, 58, 58, 132]);
  let next = proto;
  let ext: number[] = [];
  const r = rand();
  if (r < 0.15) { ext = [proto, 0, 0, 0, 0, 0, 0, 0]; next = 44; } // fragment header
  else if (r < 0.25) { ext = [proto, 0, 1, 4, 0, 0, 0, 0]; next = 0; } // hop-by-hop
  else if (r < 0.3) { ext = [44, 0, 0, 0, 0, 0, 0, 0, proto, 0, 0, 0, 0, 0, 0, 0]; next = 60; } // dstopts then fragment
  const body = l4(proto);
  return [0x60, 0, 0, 0, ...be16(ext.length + body.length), next, pick([64, 255, 1]), ...ip6(pick(V6)), ...ip6(pick(V6)), ...ext, ...body];
}

function arpPacket(op: number): number[] {
  return [0, 1, 8, 0, 6, 4, 0, op, ...MACS[1]!, ...ip4(pick(V4)), 0, 0, 0, 0, 0, 0, ...ip4(pick(V4))];
}

type L3 = { etherType: number; bytes: number[] };
function l3(): L3 {
  const r = rand();
  if (r < 0.5) return { etherType: 0x0800, bytes: ipv4Packet() };
  if (r < 0.85) return { etherType: 0x86dd, bytes: ipv6Packet() };
  if (r < 0.95) return { etherType: 0x0806, bytes: arpPacket(pick([1, 2])) };
  return { etherType: 0x8035, bytes: arpPacket(3) };
}

function ether(type: number, payload: number[]): number[] {
  return [...pick(MACS), ...pick(MACS), ...be16(type), ...payload];
}

/** Ethernet-only encapsulations: VLAN (stacked), MPLS, PPPoE, LLC, Geneve. */
function ethernetExtra(): number[] {
  const x = l3();
  switch (pick(["vlan", "vlan2", "qinq", "mpls", "mpls2", "pppoes", "pppoed", "llc", "geneve"])) {
    case "vlan": return ether(0x8100, [...be16(pick([100, 200, 4095, 1, 0x2064])), ...be16(x.etherType), ...x.bytes]);
    case "vlan2": return ether(0x88a8, [...be16(pick([100, 200])), 0x81, 0x00, ...be16(pick([100, 200, 300])), ...be16(x.etherType), ...x.bytes]);
    case "qinq": return ether(0x9100, [...be16(pick([100, 300])), ...be16(x.etherType), ...x.bytes]);
    case "mpls": return ether(0x8847, [...be32(((pick([100, 16, 5]) << 12) | 0x100 | 64) >>> 0), ...(x.etherType === 0x86dd ? ipv6Packet() : ipv4Packet())]);
    case "mpls2": return ether(0x8847, [...be32(((pick([100, 200]) << 12) | 64) >>> 0), ...be32(((pick([200, 16]) << 12) | 0x100 | 64) >>> 0), ...ipv4Packet()]);
    case "pppoes": {
      const v6 = rand() < 0.3;
      const inner = v6 ? ipv6Packet() : ipv4Packet();
      return ether(0x8864, [0x11, 0, ...be16(pick([1, 0x1234, 7])), ...be16(inner.length + 2), ...be16(v6 ? 0x57 : 0x21), ...inner]);
    }
    case "pppoed": return ether(0x8863, [0x11, 0x09, 0, 0, 0, 0]);
    case "llc": {
      const sap = pick([0x42, 0xfe, 0xe0, 0xf0, 0x06]);
      const body = sap === 0xfe ? [pick([0x81, 0x82, 0x83]), 0, 0, 0] : [0, 0, 0, 0, 0, 0];
      const p = [sap, sap, 0x03, ...body, ...Array(30).fill(0)];
      return ether(p.length, p);
    }
    default: {
      const innerFrame = ether(x.etherType, x.bytes);
      const gen = [0, 0, 0x65, 0x58, ...be32((pick([10, 20]) << 8) >>> 0), ...innerFrame];
      const udp = [...be16(40000), ...be16(6081), ...be16(8 + gen.length), 0, 0, ...gen];
      const ip = [0x45, 0, ...be16(20 + udp.length), 0, 1, 0, 0, 64, 17, 0, 0, ...ip4("10.0.0.1"), ...ip4("10.0.0.2"), ...udp];
      return ether(0x0800, ip);
    }
  }
}

/** The link-layer header for `lt` in front of an L3 packet. */
function frame(lt: number, x: L3): number[] | undefined {
  switch (lt) {
    case 1: return ether(x.etherType, x.bytes);
    case 101: return x.etherType === 0x0800 || x.etherType === 0x86dd ? x.bytes : undefined;
    case 113: return [...be16(pick([0, 4, 1, 3])), 0, 1, 0, 6, ...MACS[1]!, 0, 0, ...be16(x.etherType), ...x.bytes];
    case 276: return [...be16(x.etherType), 0, 0, ...be32(pick([1, 2, 3])), 0, 1, pick([0, 4, 1]), 6, ...MACS[2]!, 0, 0, ...x.bytes];
    case 0: case 108: {
      const af = x.etherType === 0x0800 ? 2 : x.etherType === 0x86dd ? pick([10, 24, 30]) : undefined;
      if (af === undefined) return undefined;
      return lt === 0 ? [af, 0, 0, 0, ...x.bytes] : [...be32(af), ...x.bytes];
    }
  }
  return undefined;
}

const CAPTURES: readonly [string, number, number][] = [
  ["ethernet", 1, 500], ["raw", 101, 200], ["sll", 113, 200], ["sll2", 276, 200], ["null", 0, 150], ["loop", 108, 150],
];

for (const [name, lt, count] of CAPTURES) {
  const w = new PcapWriter({ linkType: lt });
  const parts: Uint8Array[] = [w.header()];
  let ts = 1_700_000_000_000_000_000n;
  for (let i = 0; i < count; i++) {
    const bytes = lt === 1 && rand() < 0.3 ? ethernetExtra() : frame(lt, l3());
    if (!bytes) { i--; continue; }
    let data = Uint8Array.from(lt === 1 && bytes.length < 60 ? [...bytes, ...Array(60 - bytes.length).fill(0)] : bytes);
    const wire = data.length;
    // A few packets cut short by the snap length, as a capture with -s gives them.
    if (rand() < 0.04) data = data.slice(0, Math.max(1, Math.floor(data.length * rand())));
    ts += 1_000_000n + BigInt(Math.floor(rand() * 1e6));
    parts.push(w.packet({ data, timestampNs: ts, originalLength: wire }));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  writeFileSync(new URL(`${name}.pcap`, OUT), out);
  console.log(`${name}.pcap: ${count} packets, ${total} bytes`);
}
