/**
 * @fileoverview `tsbpf filter EXPR`: tcpdump's filter language in tcpdump's idioms. The
 * compiled program printed (-d, -dd, -ddd), or run over a capture (-r) in the classic BPF
 * interpreter: one summary line per match, `N packets` (--count), or the matches written (-w).
 */

import { closeSync, createReadStream, openSync, readSync, writeSync } from "node:fs";
import { parseArgs } from "node:util";
import { CaptureReader, linkType as linkTypeInfo, PcapWriter, type CapturePacket } from "../capture/index.js";
import { BpfError } from "../errors.js";
import { runCbpf } from "../cbpf/interpreter.js";
import { compileFilter } from "../cbpf/pcap/index.js";
import { formatProgram } from "../cbpf/text.js";
import { hostNames } from "./filter-names.js";
import type { Io } from "./io.js";

export const FILTER_USAGE = `usage: tsbpf filter EXPR [-r IN.pcap] [-w OUT.pcap] [--count] [-c N] [-d|-dd|-ddd] [-O] [-y LINKTYPE]
                    [--engine E | --compare | --attach-test]
  EXPR            a pcap-filter(7) expression (several arguments are joined, as tcpdump does)
  -r IN           read packets from a pcap or pcapng capture and print one line per match
  -w OUT          write the matching packets to a pcap file instead
  --count         print only how many packets match, as 'N packets'
  -c N            stop after N matching packets
  -d, -dd, -ddd   print the compiled program as tcpdump does (listing, C array, decimal)
  -O              do not run the optimizer
  -y LINKTYPE     the link type to compile for without -r: EN10MB (default), RAW, LINUX_SLL,
                  LINUX_SLL2, NULL, LOOP
  --engine E      run the filter over -r IN (with --count, -c, -w, -O) on E: cbpf (the classic
                  interpreter, the default), interp (the eBPF interpreter after conversion), jit,
                  kernel (BPF_PROG_TEST_RUN of the converted socket filter)
  --compare       run every engine over -r IN and print the packets on which they differ
  --attach-test   attach the compiled filter to a packet socket (SO_ATTACH_FILTER) on a veth pair
                  in a new network namespace, send the capture's Ethernet frames, count what passes`;

/** The options every form of `tsbpf filter` reads a capture with. */
export const CAPTURE_FILTER_OPTIONS = {
  read: { type: "string", short: "r" },
  write: { type: "string", short: "w" },
  count: { type: "boolean", default: false },
  max: { type: "string", short: "c" },
  "no-optimize": { type: "boolean", short: "O", default: false },
} as const;

/** `-c N`: how many matches to stop after (Infinity without it). */
export function packetLimit(max: string | undefined): number {
  const n = max === undefined ? Infinity : Number(max);
  if (!(n > 0) || !Number.isInteger(n === Infinity ? 1 : n)) throw new BpfError("EINVAL", `-c ${max}: not a positive count`);
  return n;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** tcpdump's time stamp, in UTC: `HH:MM:SS.uuuuuu`. */
function stamp(ns: bigint): string {
  const d = new Date(Number(ns / 1_000_000n));
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(Number((ns / 1000n) % 1_000_000n), 6)}`;
}

const v4 = (b: Uint8Array, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
function v6(b: Uint8Array, o: number): string {
  const g = Array.from({ length: 8 }, (_, i) => ((b[o + 2 * i]! << 8) | b[o + 2 * i + 1]!).toString(16));
  // The longest run of zero groups becomes "::".
  let best = -1, len = 0;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && g[j] === "0") j++;
    if (j - i > len && j - i > 1) { best = i; len = j - i; }
  }
  if (best < 0) return g.join(":");
  return `${g.slice(0, best).join(":")}::${g.slice(best + len).join(":")}`;
}
const PROTOS: Record<number, string> = { 1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP", 47: "GRE", 50: "ESP", 51: "AH", 58: "ICMP6", 132: "SCTP" };

/** One line per packet: time, addresses (with ports), protocol, length. */
export function summarize(p: CapturePacket): string {
  const b = p.data;
  const net = linkTypeInfo(p.linkType)?.network(b);
  const head = `${stamp(p.timestampNs)}`;
  const tail = `length ${p.originalLength}`;
  if (!net) return `${head} link-type ${p.linkType}, ${tail}`;
  let { etherType, offset: o } = net;
  while ((etherType === 0x8100 || etherType === 0x88a8 || etherType === 0x9100) && b.length >= o + 4) {
    etherType = (b[o + 2]! << 8) | b[o + 3]!;
    o += 4;
  }
  const ports = (proto: number, at: number) =>
    (proto === 6 || proto === 17 || proto === 132) && b.length >= at + 4 ? [`.${(b[at]! << 8) | b[at + 1]!}`, `.${(b[at + 2]! << 8) | b[at + 3]!}`] : ["", ""];
  if (etherType === 0x0800 && b.length >= o + 20) {
    const proto = b[o + 9]!;
    const [sp, dp] = ports(proto, o + (b[o]! & 0xf) * 4);
    return `${head} IP ${v4(b, o + 12)}${sp} > ${v4(b, o + 16)}${dp}: ${PROTOS[proto] ?? `ip-proto-${proto}`}, ${tail}`;
  }
  if (etherType === 0x86dd && b.length >= o + 40) {
    const proto = b[o + 6]!;
    const [sp, dp] = ports(proto, o + 40);
    return `${head} IP6 ${v6(b, o + 8)}${sp} > ${v6(b, o + 24)}${dp}: ${PROTOS[proto] ?? `ip-proto-${proto}`}, ${tail}`;
  }
  if ((etherType === 0x0806 || etherType === 0x8035) && b.length >= o + 28) {
    return `${head} ${etherType === 0x0806 ? "ARP" : "RARP"} ${v4(b, o + 14)} > ${v4(b, o + 24)}, ${tail}`;
  }
  return `${head} ethertype 0x${etherType.toString(16).padStart(4, "0")}, ${tail}`;
}

/** The link type of a capture's first packet (for -d with -r), Ethernet if it has none. */
function firstLinkType(path: string): number {
  const fd = openSync(path, "r");
  try {
    const reader = new CaptureReader();
    const buf = new Uint8Array(1 << 16);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) return 1;
      const got = reader.push(buf.slice(0, n));
      if (got.length) return got[0]!.linkType;
    }
  } finally { closeSync(fd); }
}

export async function filterCommand(args: string[], io: Io): Promise<number> {
  if ((await import("./filter-engines.js")).wantsEngines(args)) return (await import("./filter-engines.js")).filterEnginesCommand(args, io);
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...CAPTURE_FILTER_OPTIONS,
      dump: { type: "boolean", short: "d", multiple: true },
      linktype: { type: "string", short: "y" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) { io.out(FILTER_USAGE); return 0; }
  const expr = positionals.join(" ");
  const dumps = values.dump?.length ?? 0;
  if (dumps > 3) throw new BpfError("EINVAL", "at most -ddd");
  const max = packetLimit(values.max);
  const names = hostNames();
  const optimize = !values["no-optimize"];
  const savefile = values.read !== undefined;
  // Without -r, the link type is -y's; with -r, each packet's own (pcapng may mix them).
  const programs = new Map<number, ReturnType<typeof compileFilter>["program"]>();
  const programFor = (lt: number) => {
    let p = programs.get(lt);
    if (!p) programs.set(lt, (p = compileFilter(expr, { linkType: lt, optimize, names, savefile }).program));
    return p;
  };
  if (dumps > 0) {
    const lt = values.read !== undefined ? firstLinkType(values.read) : values.linktype ?? 1;
    const program = compileFilter(expr, { linkType: lt, optimize, names, savefile }).program;
    io.out(formatProgram(program, dumps as 1 | 2 | 3).replace(/\n$/, ""));
    return 0;
  }
  if (values.read === undefined) {
    // Compiling alone checks the expression, as `tcpdump -d` would without printing.
    compileFilter(expr, { linkType: values.linktype ?? 1, optimize, names });
    throw new BpfError("EINVAL", "nothing to filter: give -r IN.pcap (or -d to print the program)");
  }
  // The capture streams: a file larger than memory is filtered all the same.
  const reader = new CaptureReader();
  let matched = 0;
  const fd = values.write !== undefined ? openSync(values.write, "w") : undefined;
  let writer: PcapWriter | undefined;
  let seenLinkType: number | undefined;
  const take = (p: CapturePacket) => {
    seenLinkType ??= p.linkType;
    if (matched >= max || runCbpf(programFor(p.linkType), p.data, { length: p.originalLength }) === 0) return;
    matched++;
    if (fd !== undefined) {
      if (!writer) { writer = new PcapWriter({ linkType: p.linkType, nanosecond: true }); writeSync(fd, writer.header()); }
      if (p.linkType !== writer.options.linkType) throw new BpfError("EINVAL", `-w: a pcap file holds one link type; packet of link type ${p.linkType} after ${writer.options.linkType}`);
      writeSync(fd, writer.packet(p));
    } else if (!values.count) io.out(summarize(p));
  };
  try {
    for await (const chunk of createReadStream(values.read, { highWaterMark: 1 << 16 })) {
      const b = chunk as Buffer;
      for (const p of reader.push(new Uint8Array(b.buffer, b.byteOffset, b.length))) take(p);
      if (matched >= max) break;
    }
    if (matched < max) reader.end();
  } finally {
    if (fd !== undefined) {
      if (!writer) writeSync(fd, new PcapWriter({ linkType: seenLinkType ?? 1, nanosecond: true }).header());
      closeSync(fd);
    }
  }
  for (const w of reader.warnings) io.err(`warning: offset ${w.offset}: ${w.message}`);
  if (values.count) io.out(`${matched} packet${matched === 1 ? "" : "s"}`);
  return 0;
}
