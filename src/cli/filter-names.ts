/**
 * @fileoverview Name resolution for filter expressions from this host's files, as libpcap
 * asks the C library: /etc/services, /etc/protocols, /etc/hosts, /etc/networks, /etc/ethers.
 */

import { readFileSync } from "node:fs";
import { parseIpv6 } from "../cbpf/pcap/lexer.js";
import { atoin } from "../cbpf/pcap/gencode.js";
import { BUILTIN_NAMES, type NameResolver } from "../cbpf/pcap/names.js";
import { parseMac } from "../cbpf/pcap/compile.js";

function lines(path: string): string[][] {
  try {
    return readFileSync(path, "utf8").split("\n").map((l) => l.replace(/#.*/, "").trim()).filter(Boolean).map((l) => l.split(/\s+/));
  } catch { return []; }
}

/** A resolver over the host's files, the built-in table where a file is missing. */
export function hostNames(etc = "/etc"): NameResolver {
  const services = new Map<string, { tcp?: number; udp?: number; sctp?: number }>();
  for (const [name, portProto, ...aliases] of lines(`${etc}/services`)) {
    const [port, proto] = (portProto ?? "").split("/");
    if (!name || !port || !(proto === "tcp" || proto === "udp" || proto === "sctp")) continue;
    for (const n of [name, ...aliases]) {
      const e = services.get(n) ?? {};
      if (e[proto] === undefined) e[proto] = Number(port);
      services.set(n, e);
    }
  }
  const protocols = new Map<string, number>();
  for (const [name, num, ...aliases] of lines(`${etc}/protocols`)) for (const n of [name!, ...aliases]) if (!protocols.has(n)) protocols.set(n, Number(num));
  const hosts4 = new Map<string, number[]>(), hosts6 = new Map<string, Uint8Array[]>();
  for (const [addr, ...names] of lines(`${etc}/hosts`)) {
    const v4 = /^\d+\.\d+\.\d+\.\d+$/.test(addr!) ? atoin(addr!) : undefined;
    const v6 = !v4 && addr!.includes(":") ? parseIpv6(addr!) : undefined;
    for (const n of names) {
      if (v4) hosts4.set(n, [...(hosts4.get(n) ?? []), v4.addr]);
      if (v6) hosts6.set(n, [...(hosts6.get(n) ?? []), v6]);
    }
  }
  const networks = new Map<string, number>();
  for (const [name, num] of lines(`${etc}/networks`)) { const a = atoin(num ?? ""); if (a) networks.set(name!, a.addr); }
  const ethers = new Map<string, Uint8Array>();
  for (const [mac, name] of lines(`${etc}/ethers`)) if (name && /^[0-9a-f:]+$/i.test(mac!)) ethers.set(name, parseMac(mac!));
  return {
    protocol: (n) => (protocols.size ? protocols.get(n) : BUILTIN_NAMES.protocol(n)),
    service: (n) => (services.size ? services.get(n) : BUILTIN_NAMES.service(n)),
    host: (n) => hosts4.get(n),
    host6: (n) => hosts6.get(n),
    network: (n) => networks.get(n),
    ether: (n) => ethers.get(n),
  };
}
