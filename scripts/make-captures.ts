/**
 * @fileoverview Writes the captures the bundled examples run on (examples/*.pcap,
 * *.pcapng), made up here from a fixed seed so a rebuild gives the same bytes:
 * `node --import tsx scripts/make-captures.ts`. Commit what it writes.
 */

import { writeFileSync } from "node:fs";
import { PcapngWriter, PcapWriter } from "../src/capture/index.js";

const OUT = new URL("../examples/", import.meta.url);

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const ip = (s: string) => s.split(".").map(Number);
const mac = (n: number) => [0x02, 0, 0, 0, 0, n];

function checksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An Ethernet + IPv4 frame around an L4 header and payload. */
function ipv4(src: string, dst: string, protocol: number, l4: Uint8Array, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const total = 20 + l4.length + payload.length;
  const f = new Uint8Array(Math.max(60, 14 + total));
  f.set(mac(2), 0);
  f.set(mac(1), 6);
  f.set([0x08, 0x00], 12);
  const h = f.subarray(14, 34);
  h.set([0x45, 0, total >> 8, total & 0xff, 0, 0, 0x40, 0, 64, protocol, 0, 0, ...ip(src), ...ip(dst)]);
  const c = checksum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  f.set(l4, 34);
  f.set(payload, 34 + l4.length);
  // The TCP or UDP checksum over the pseudo-header, so tools that check it are content.
  const seg = f.subarray(34, 14 + total);
  const pseudo = Uint8Array.from([...ip(src), ...ip(dst), 0, protocol, (total - 20) >> 8, (total - 20) & 0xff]);
  const at = protocol === 6 ? 16 : 6;
  const sum = checksum(Uint8Array.from([...pseudo, ...seg]));
  seg[at] = sum >> 8;
  seg[at + 1] = sum & 0xff;
  return f;
}

const be16 = (n: number) => [n >> 8, n & 0xff];
const tcp = (sport: number, dport: number, flags = 0x02) =>
  Uint8Array.from([...be16(sport), ...be16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
const udp = (sport: number, dport: number, len: number) => Uint8Array.from([...be16(sport), ...be16(dport), ...be16(8 + len), 0, 0]);

/** A DNS query for `name` of type `qtype`. */
function dnsQuery(id: number, name: string, qtype: number): Uint8Array {
  const labels = name.split(".").flatMap((l) => [l.length, ...Array.from(l, (c) => c.charCodeAt(0))]);
  return Uint8Array.from([...be16(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, ...be16(qtype), 0, 1]);
}

function arp(): Uint8Array {
  const f = new Uint8Array(60);
  f.fill(0xff, 0, 6);
  f.set(mac(3), 6);
  f.set([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1], 12);
  return f;
}

function ipv6Udp(): Uint8Array {
  const f = new Uint8Array(14 + 40 + 8);
  f.set(mac(2), 0);
  f.set(mac(1), 6);
  f.set([0x86, 0xdd, 0x60, 0, 0, 0, 0, 8, 17, 64], 12);
  f[14 + 8 + 15] = 1;
  f[14 + 24 + 15] = 2;
  f.set(udp(5353, 5353, 0), 54);
  return f;
}

const START = 1_735_689_600_000_000_000n; // 2025-01-01T00:00:00Z

/** Mixed traffic: web clients, an SSH scanner that keeps trying, DNS, ARP and IPv6. */
function traffic(): { data: Uint8Array; timestampNs: bigint }[] {
  const r = rng(1);
  const out: { data: Uint8Array; timestampNs: bigint }[] = [];
  let t = START;
  for (let i = 0; i < 400; i++) {
    t += BigInt(Math.floor(r() * 4_000_000)); // up to 4 ms apart
    const x = r();
    let data: Uint8Array;
    if (x < 0.55) data = ipv4(`192.168.1.${10 + Math.floor(r() * 6)}`, "10.0.0.80", 6, tcp(40000 + Math.floor(r() * 2000), r() < 0.7 ? 443 : 80, 0x10), new Uint8Array(Math.floor(r() * 400)));
    else if (x < 0.7) data = ipv4("203.0.113.66", "10.0.0.22", 6, tcp(50000 + i, r() < 0.8 ? 22 : 23)); // the scanner
    else if (x < 0.8) data = ipv4("192.168.1.20", "10.0.0.22", 6, tcp(51000, 22, 0x18), new Uint8Array(48)); // a real SSH session
    else if (x < 0.9) { const q = dnsQuery(i, "example.org", 1); data = ipv4(`192.168.1.${10 + Math.floor(r() * 6)}`, "10.0.0.53", 17, udp(53000 + i, 53, q.length), q); }
    else if (x < 0.95) data = arp();
    else data = ipv6Udp();
    out.push({ data, timestampNs: t });
  }
  return out;
}

/** DNS queries, some for the names the filter blocks. */
function dns(): { data: Uint8Array; timestampNs: bigint }[] {
  const r = rng(2);
  const names = ["example.org", "ads.example.com", "tracker.net", "debian.org", "www.kernel.org", "ads.example.com.evil", "tracker.net"];
  const out: { data: Uint8Array; timestampNs: bigint }[] = [];
  for (let i = 0; i < 120; i++) {
    const name = names[Math.floor(r() * names.length)]!;
    const q = dnsQuery(0x1000 + i, name, r() < 0.6 ? 1 : r() < 0.8 ? 28 : 15);
    out.push({ data: ipv4(`192.168.1.${20 + (i % 5)}`, "10.0.0.53", 17, udp(33000 + i, 53, q.length), q), timestampNs: START + BigInt(i) * 1_000_000n });
  }
  return out;
}

/** Clients of the virtual IP 10.0.0.100:80, and traffic to other addresses. */
function lb(): { data: Uint8Array; timestampNs: bigint }[] {
  const r = rng(3);
  const out: { data: Uint8Array; timestampNs: bigint }[] = [];
  for (let i = 0; i < 200; i++) {
    const client = `198.51.100.${1 + Math.floor(r() * 50)}`;
    const vip = r() < 0.8;
    const data = vip ? ipv4(client, "10.0.0.100", 6, tcp(30000 + Math.floor(r() * 30000), 80, 0x10), new Uint8Array(Math.floor(r() * 200)))
      : ipv4(client, "10.0.0.7", 17, udp(40000, 123, 48), new Uint8Array(48));
    out.push({ data, timestampNs: START + BigInt(i) * 250_000n });
  }
  return out;
}

function pcap(name: string, packets: { data: Uint8Array; timestampNs: bigint }[], nanosecond = false) {
  const w = new PcapWriter({ linkType: 1, nanosecond });
  writeFileSync(new URL(name, OUT), Buffer.concat([w.header(), ...packets.map((p) => w.packet(p))]));
}

pcap("traffic.pcap", traffic());
pcap("lb.pcap", lb(), true);
{
  const w = new PcapngWriter([1]);
  writeFileSync(new URL("dns.pcapng", OUT), Buffer.concat([w.header(), ...dns().map((p) => w.packet(p))]));
}
