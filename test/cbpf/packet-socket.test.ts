/**
 * @fileoverview Real frames on a veth pair in a network namespace made here: each random
 * classic program is attached with SO_ATTACH_FILTER (the kernel's own conversion) and, as
 * tsbpf converted it, with SO_ATTACH_BPF, to two packet sockets on the same interface; both
 * must let the same frames through, cut to the same length. Ancillary loads (protocol,
 * pkttype, ifindex, VLAN tags) and SKF_NET_OFF / SKF_LL_OFF loads see a real skb here.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { convertClassic } from "../../src/cbpf/convert.js";
import { SKF_AD_OFF, SkfAd, stmt, type SockFilter } from "../../src/cbpf/insn.js";
import { KernelProgram } from "../../src/kernel/index.js";
import { attachClassicFilter, attachSocketProgram, inNetns, PacketSocket } from "../../src/kernel/socket-filter.js";
import { skip as noKernel } from "../kernel/helpers.js";
import { randomProgram, rng } from "./random.js";

const NS = `tsbpf-cbpf-${process.pid}`;
const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] }).toString();

function why(): string | false {
  if (noKernel) return noKernel;
  if (process.getuid?.() !== 0) return "needs root for a network namespace";
  try { ip("-V"); } catch { return "needs iproute2 (ip)"; }
  return false;
}
const skip = why();
let va = 0, vb = 0, vbMac = new Uint8Array(6);

before(() => {
  if (skip) return;
  ip("netns", "add", NS);
  // No IPv6: its autoconfiguration would put frames of its own on the link.
  execFileSync("ip", ["netns", "exec", NS, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]);
  ip("-n", NS, "link", "add", "va", "type", "veth", "peer", "name", "vb");
  ip("-n", NS, "link", "set", "va", "up");
  ip("-n", NS, "link", "set", "vb", "up");
  const show = (dev: string) => ip("-n", NS, "-o", "link", "show", dev);
  va = Number(/^(\d+):/.exec(show("va"))![1]);
  const b = show("vb");
  vb = Number(/^(\d+):/.exec(b)![1]);
  vbMac = new Uint8Array(/link\/ether ([0-9a-f:]+)/.exec(b)![1]!.split(":").map((h) => parseInt(h, 16)));
});
after(() => {
  if (!skip) ip("netns", "del", NS);
});

/** A random frame: to vb, broadcast or elsewhere; IPv4, IPv6, ARP-ish or VLAN-tagged IPv4. */
function frame(r: () => number): Uint8Array {
  const kind = Math.floor(r() * 4);
  const body = 20 + Math.floor(r() * 60);
  const tagged = kind === 3;
  const f = new Uint8Array(14 + (tagged ? 4 : 0) + body).map(() => Math.floor(r() * 256));
  const dst = [vbMac, new Uint8Array(6).fill(0xff), new Uint8Array([0x02, 9, 9, 9, 9, 9])][Math.floor(r() * 3)]!;
  f.set(dst, 0);
  f.set([0x02, 1, 2, 3, 4, 5], 6);
  const at = tagged ? 16 : 12;
  if (tagged) f.set([0x81, 0x00, 0x00, 0x05 + Math.floor(r() * 8)], 12);
  const type = [0x0800, 0x86dd, 0x0806, 0x0800][kind]!;
  f[at] = type >> 8; f[at + 1] = type & 0xff;
  if (type === 0x0800) f[at + 2] = 0x45; // an IPv4 header the stack parses
  return f;
}

const ANCILLARY = [SkfAd.Protocol, SkfAd.PktType, SkfAd.Ifindex, SkfAd.Mark, SkfAd.Queue, SkfAd.AluXorX, SkfAd.VlanTag, SkfAd.VlanTagPresent, SkfAd.VlanTpid, SkfAd.Rxhash];

test("SO_ATTACH_FILTER and tsbpf's conversion through SO_ATTACH_BPF pass the same frames on a veth pair", { skip }, () => {
  const [tx, all, classic, ours] = inNetns(`/run/netns/${NS}`, () => [new PacketSocket(va), new PacketSocket(vb), new PacketSocket(vb), new PacketSocket(vb)] as const);
  all.setTimeout(1000);
  const r = rng(0xfa11);
  let frames = 0, through = 0, programs = 0;
  const hand: SockFilter[][] = [
    [stmt(0x20, SKF_AD_OFF + SkfAd.Protocol), stmt(0x16, 0)],
    [stmt(0x20, SKF_AD_OFF + SkfAd.VlanTag), stmt(0x04, 1), stmt(0x16, 0)],
    [stmt(0x20, SKF_AD_OFF + SkfAd.Ifindex), stmt(0x16, 0)],
    [stmt(0x30, (-0x100000 + 0) >>> 0), stmt(0x16, 0)], // ldb [SKF_NET_OFF]: the IP version byte
    [stmt(0x28, (-0x200000 + 12) >>> 0), stmt(0x16, 0)], // ldh [SKF_LL_OFF + 12]
  ];
  try {
    for (let i = 0; programs < 120; i++) {
      const prog = i < hand.length ? hand[i]! : randomProgram(r, { ancillary: ANCILLARY, negative: true });
      let insns;
      try { insns = convertClassic(prog); } catch { continue; }
      programs++;
      attachClassicFilter(classic.fd, prog);
      const k = KernelProgram.load({ type: "socket_filter", instructions: insns });
      try { attachSocketProgram(ours.fd, k); } finally { k.close(); }
      // Frames queued under the previous filters are drained first.
      while (classic.receive(false)); while (ours.receive(false)); while (all.receive(false));
      for (let j = 0; j < 4; j++) {
        const f = frame(r);
        tx.send(f);
        assert.ok(all.receive(true), "the unfiltered socket sees every frame");
        // Every packet socket of the interface got the frame in the same softirq pass.
        const a = classic.receive(false), b = ours.receive(false);
        assert.equal(b?.length, a?.length, `program ${i} on frame ${Buffer.from(f).toString("hex")}: ${JSON.stringify(prog)}`);
        frames++;
        if (a) through++;
      }
    }
  } finally {
    for (const s of [tx, all, classic, ours]) s.close();
  }
  assert.ok(through > 40 && through < frames - 40, `a mix of verdicts (${through} of ${frames} frames through)`);
});
