/**
 * @fileoverview bpf_fib_lookup against a routing table the run configures (the host's
 * `net`): longest-prefix routes for IPv4 and IPv6, devices with their MAC and MTU, and a
 * neighbour table, with the kernel's verdicts (BPF_FIB_LKUP_RET_*) and struct
 * bpf_fib_lookup's outputs (ifindex, smac, dmac, the gateway in the destination, the MTU).
 */

import type { HelperDef, HelperFn } from "../runtime/helpers.js";
import { hostOf } from "./host.js";
import { E, mem } from "./util.js";

export interface FibDevice { readonly ifindex: number; readonly mac: string; readonly mtu?: number; readonly forwarding?: boolean }
export interface FibRoute {
  /** "10.0.0.0/8", "2001:db8::/32", "0.0.0.0/0" */
  readonly dst: string;
  readonly ifindex?: number;
  /** The next hop, if not on link. */
  readonly gateway?: string;
  readonly type?: "unicast" | "local" | "blackhole" | "unreachable" | "prohibit";
  /** The preferred source address (BPF_FIB_LOOKUP_SRC). */
  readonly src?: string;
  /** The table (BPF_FIB_LOOKUP_TBID); RT_TABLE_MAIN (254) by default. */
  readonly table?: number;
  readonly mtu?: number;
}
export interface FibNeighbour { readonly ip: string; readonly mac: string; readonly ifindex?: number }
/** The network a run's bpf_fib_lookup sees. */
export interface NetModel {
  devices: FibDevice[];
  routes: FibRoute[];
  neighbours: FibNeighbour[];
}

/** BPF_FIB_LKUP_RET_* */
export const FibResult = { Success: 0, Blackhole: 1, Unreachable: 2, Prohibit: 3, NotForwarded: 4, ForwardingDisabled: 5, NoNeighbour: 7, FragNeeded: 8, NoSrcAddr: 9 } as const;
/** BPF_FIB_LOOKUP_DIRECT, _OUTPUT, _SKIP_NEIGH, _TBID, _SRC, _MARK */
const F = { DIRECT: 1, OUTPUT: 2, SKIP_NEIGH: 4, TBID: 8, SRC: 16, MARK: 32 } as const;
const ALL_FLAGS = 63;
/** sizeof(struct bpf_fib_lookup) */
const FIB_LOOKUP_SIZE = 64;
const AF_INET = 2, AF_INET6 = 10;
const EAFNOSUPPORT = 97;
const RT_TABLE_MAIN = 254;

const NETS = new WeakMap<object, NetModel>();
/** The network model of a host (an empty one, every lookup unreachable, until configured). */
export function netOf(host: object): NetModel {
  let n = NETS.get(host);
  if (!n) NETS.set(host, (n = { devices: [], routes: [], neighbours: [] }));
  return n;
}

/** An address as 4 or 16 bytes. */
export function parseIp(text: string): Uint8Array {
  if (text.includes(":")) {
    const [head, tail] = text.split("::");
    const words = (s: string | undefined) => (s ? s.split(":").map((w) => parseInt(w, 16)) : []);
    const h = words(head), t = tail === undefined ? [] : words(tail);
    const all = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
    const out = new Uint8Array(16);
    all.forEach((w, k) => { out[2 * k] = w >> 8; out[2 * k + 1] = w & 0xff; });
    return out;
  }
  return new Uint8Array(text.split(".").map(Number));
}
const parseMac = (m: string) => new Uint8Array(m.split(":").map((x) => parseInt(x, 16)));

function matches(addr: Uint8Array, prefix: Uint8Array, len: number): boolean {
  if (addr.length !== prefix.length) return false;
  for (let bit = 0; bit < len; bit++) {
    const k = bit >> 3, m = 0x80 >> (bit & 7);
    if ((addr[k]! & m) !== (prefix[k]! & m)) return false;
  }
  return true;
}

/** bpf_fib_lookup(ctx, params, plen, flags) */
const fibLookup: HelperFn = (a, env) => {
  const plen = a.u32(3), flags = a.u64(4);
  if (plen < FIB_LOOKUP_SIZE) return -E.EINVAL;
  if (flags & ~BigInt(ALL_FLAGS)) return -E.EINVAL;
  const f = Number(flags);
  if (f & F.TBID && f & F.MARK) return -E.EINVAL;
  const p = mem(env, a, 2, FIB_LOOKUP_SIZE, "write");
  const v = new DataView(p.buffer, p.byteOffset, FIB_LOOKUP_SIZE);
  const family = p[0]!;
  if (family !== AF_INET && family !== AF_INET6) return -EAFNOSUPPORT;
  const v4 = family === AF_INET;
  const net = netOf(hostOf(env.space));
  const dst = v4 ? p.slice(32, 36) : p.slice(32, 48);
  const inDev = net.devices.find((d) => d.ifindex === v.getUint32(8, true));
  if (!(f & F.OUTPUT) && inDev && inDev.forwarding === false) return FibResult.ForwardingDisabled;
  const table = f & F.TBID ? v.getUint32(48, true) : RT_TABLE_MAIN;
  let best: FibRoute | undefined, bestLen = -1;
  for (const r of net.routes) {
    const [prefix, lenText] = r.dst.split("/");
    const bytes = parseIp(prefix!);
    const len = lenText === undefined ? bytes.length * 8 : Number(lenText);
    if ((r.table ?? RT_TABLE_MAIN) !== table || !matches(dst, bytes, len) || len <= bestLen) continue;
    best = r;
    bestLen = len;
  }
  if (!best) return FibResult.Unreachable;
  switch (best.type ?? "unicast") {
    case "blackhole": return FibResult.Blackhole;
    case "unreachable": return FibResult.Unreachable;
    case "prohibit": return FibResult.Prohibit;
    case "local": return FibResult.NotForwarded;
    default: break;
  }
  const dev = net.devices.find((d) => d.ifindex === best!.ifindex);
  if (!dev) return FibResult.Unreachable;
  // The next hop: the gateway replaces the destination, as the kernel writes it back.
  const hop = best.gateway ? parseIp(best.gateway) : dst;
  if (best.gateway) p.set(hop, 32);
  if (f & F.SRC) {
    if (!best.src) return FibResult.NoSrcAddr;
    p.set(parseIp(best.src), 16);
  }
  const mtu = best.mtu ?? dev.mtu ?? 1500;
  const totLen = v.getUint16(6, true);
  if (totLen > mtu) { v.setUint16(6, mtu, true); return FibResult.FragNeeded; }
  v.setUint32(8, dev.ifindex, true);
  p.set(parseMac(dev.mac), 52);
  v.setUint32(48, 0, true); // h_vlan_proto, h_vlan_TCI
  v.setUint16(6, mtu, true);
  if (f & F.SKIP_NEIGH) return FibResult.Success;
  const hopText = [...hop].join(",");
  const n = net.neighbours.find((x) => [...parseIp(x.ip)].join(",") === hopText && (x.ifindex ?? dev.ifindex) === dev.ifindex);
  if (!n) return FibResult.NoNeighbour;
  p.set(parseMac(n.mac), 58);
  return FibResult.Success;
};

/** bpf_fib_lookup, by id (enum bpf_func_id). */
export const FIB_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_fib_lookup */
  { id: 69, name: "fib_lookup", fn: fibLookup },
];
