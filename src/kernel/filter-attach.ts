/**
 * @fileoverview A pcap-filter expression attached for real: compiled by tsbpf and installed
 * with SO_ATTACH_FILTER, on any socket (`attachFilterExpression`) or on a packet socket of a
 * veth pair in a network namespace made for the purpose (`attachTest`).
 */

import { execFileSync } from "node:child_process";
import type { SockFilter } from "../cbpf/insn.js";
import { compileFilter, type CompileOptions } from "../cbpf/pcap/index.js";
import { BpfError } from "../errors.js";
import { attachClassicFilter, inNetns, PacketSocket } from "./socket-filter.js";

/**
 * Compiles `expr` (for Ethernet unless `options.linkType` says otherwise: a packet socket's
 * frames start at their link-layer header) and attaches it to the socket `fd`. Returns the program.
 */
export function attachFilterExpression(fd: number, expr: string, options: CompileOptions = {}): SockFilter[] {
  const { program } = compileFilter(expr, { linkType: 1, ...options });
  attachClassicFilter(fd, program);
  return program;
}

/** ETH_HLEN, and the largest frame a veth of MTU 1500 sends */
const ETH_HLEN = 14, MAX_FRAME = 1514;

export interface AttachTestResult {
  /** Frames sent (those of 14 to 1514 bytes). */
  readonly sent: number;
  /** Frames the filtered socket received. */
  readonly passed: number;
  /** For each frame sent, the length the filtered socket got it with, or 0. */
  readonly lengths: readonly number[];
}

/**
 * Sends `frames` from one end of a veth pair in a fresh network namespace to a packet socket
 * on the other end that has `program` attached (SO_ATTACH_FILTER), beside an unfiltered one
 * that proves each frame arrived. Needs root and iproute2; the namespace is removed after.
 */
export function attachTest(program: readonly SockFilter[], frames: readonly Uint8Array[]): AttachTestResult {
  const ns = `tsbpf-filter-${process.pid}-${Date.now() % 100000}`;
  const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] }).toString();
  try {
    ip("netns", "add", ns);
  } catch (e) {
    throw new BpfError("ENOTSUP", `cannot make a network namespace (needs root and iproute2): ${(e as Error).message.split("\n")[0]}`);
  }
  try {
    // No IPv6: its autoconfiguration would put frames of its own on the link.
    execFileSync("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"], { stdio: "ignore" });
    ip("-n", ns, "link", "add", "va", "type", "veth", "peer", "name", "vb");
    ip("-n", ns, "link", "set", "va", "up");
    ip("-n", ns, "link", "set", "vb", "up");
    const index = (dev: string) => Number(/^(\d+):/.exec(ip("-n", ns, "-o", "link", "show", dev))![1]);
    const va = index("va"), vb = index("vb");
    const [tx, all, filtered] = inNetns(`/run/netns/${ns}`, () => [new PacketSocket(va), new PacketSocket(vb), new PacketSocket(vb)] as const);
    try {
      all.setTimeout(1000);
      attachClassicFilter(filtered.fd, program);
      // Frames that came before the filter was attached are dropped.
      while (filtered.receive(false));
      while (all.receive(false));
      const lengths: number[] = [];
      for (const f of frames) {
        if (f.length < ETH_HLEN || f.length > MAX_FRAME) continue;
        tx.send(f);
        if (!all.receive(true)) throw new BpfError("ESYSCALL", "a frame sent on the veth pair never arrived");
        // Every packet socket of the interface got the frame in the same softirq pass.
        lengths.push(filtered.receive(false)?.length ?? 0);
      }
      return { sent: lengths.length, passed: lengths.filter((n) => n > 0).length, lengths };
    } finally {
      for (const s of [tx, all, filtered]) s.close();
    }
  } finally {
    ip("netns", "del", ns);
  }
}
