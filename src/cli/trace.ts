/**
 * @fileoverview `tsbpf trace FILE.o`: load an object into the kernel, attach every
 * program its sections place (libbpf's skeleton attach), stream every ring buffer and
 * perf buffer record as a line (formatted through the object's BTF, or hex) until
 * Ctrl-C, then detach and print the other maps as bpftool map dump would.
 */

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Btf, BtfType } from "../btf/index.js";
import { formatValue } from "../btf/format.js";
import { BpfError } from "../errors.js";
import { attachAll } from "../kernel/attach-all.js";
import { KernelPerfReader } from "../kernel/perf.js";
import { KernelRingBufReader } from "../kernel/ringbuf.js";
import { formatMapDump, toJson } from "../maps/dump.js";
import { loadObject } from "../object/index.js";
import { openObject } from "./object.js";
import type { Io } from "./io.js";

export const TRACE_USAGE = `usage: tsbpf trace FILE.o [--json] [--type [MAP=]STRUCT] [--interface IFACE] [--cgroup DIR]
                    [--duration SECONDS] [--count N] [--no-maps]

  Loads FILE.o into the kernel, attaches every program whose section says where
  (tp/, raw_tp/, uprobe/BINARY:FUNC, tp_btf/, xdp and tc with --interface, cgroup/
  with --cgroup), and prints each ring buffer and perf buffer record until Ctrl-C
  (or --duration, or --count records), then detaches and dumps the other maps.

  --type [MAP=]STRUCT  the BTF struct the records of MAP (or of every map) are; records
                       without one print as hex bytes
  --json          one JSON object per record: {"map", "cpu"?, "data" | "bytes"}`;

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

/**
 * Record types from `--type [MAP=]STRUCT` options. A ring buffer's records carry no type
 * (the kernel and libbpf know none), so tsbpf does not guess one from sizes.
 */
function recordTypes(btf: Btf | undefined, options: readonly string[]): { forMap(map: string): BtfType | undefined } {
  const byMap = new Map<string, BtfType>();
  let all: BtfType | undefined;
  for (const o of options) {
    const [map, name] = o.includes("=") ? o.split("=", 2) as [string, string] : [undefined, o];
    const t = btf?.byName(name, "struct")[0];
    if (!t) throw new BpfError("EINVAL", `--type ${o}: no struct ${name} in the object's BTF`);
    if (map === undefined) all = t;
    else byMap.set(map, t);
  }
  return { forMap: (map) => byMap.get(map) ?? all };
}

export async function traceCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      type: { type: "string", multiple: true },
      interface: { type: "string" },
      cgroup: { type: "string" },
      duration: { type: "string" },
      count: { type: "string" },
      "no-maps": { type: "boolean", default: false },
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new BpfError("EINVAL", `expected one object file\n${TRACE_USAGE}`);
  // As libbpf opens it for this kernel: the host's kconfig, CO-RE against the running kernel's BTF.
  const spec = openObject(new Uint8Array(readFileSync(file)), file.split("/").pop()!);
  const types = recordTypes(spec.btf, values.type ?? []);
  const obj = await loadObject(spec, { engine: "kernel" });
  const readers: { close(): void }[] = [];
  let attached: ReturnType<typeof attachAll> | undefined;
  const ac = new AbortController();
  const limit = values.count === undefined ? Infinity : Number(values.count);
  let records = 0;
  const emit = (map: string, data: Uint8Array, cpu?: number) => {
    if (records >= limit) return;
    records++;
    const type = types.forMap(map);
    let value: unknown;
    if (type && "size" in type && data.length >= type.size) {
      try {
        value = toJson(formatValue(spec.btf!, type.id, data.subarray(0, type.size)));
      } catch {
        value = undefined;
      }
    }
    if (values.json) io.out(JSON.stringify({ map, ...(cpu !== undefined ? { cpu } : {}), ...(value !== undefined ? { data: value } : { bytes: hex(data) }) }));
    else io.out(`${map}${cpu !== undefined ? ` cpu ${cpu}` : ""}: ${value !== undefined ? JSON.stringify(value) : hex(data)}`);
    if (records >= limit) ac.abort();
  };
  try {
    attached = attachAll(obj.programs, spec.programs, {
      ...(values.interface ? { interface: values.interface } : {}),
      ...(values.cgroup ? { cgroup: values.cgroup } : {}),
    });
    for (const [name, link] of attached.links) io.err(`attached ${name}: ${link.description}`);
    for (const s of attached.skipped) io.err(`not attached ${s.program}: ${s.reason}`);
    const loops: Promise<unknown>[] = [];
    for (const [name, map] of obj.maps) {
      if (map.typeName === "ringbuf") {
        const r = new KernelRingBufReader(map, (rec) => emit(name, rec));
        readers.push(r);
        loops.push(r.run(ac.signal));
      } else if (map.typeName === "perf_event_array") {
        const r = new KernelPerfReader(map);
        readers.push(r);
        loops.push((async () => {
          while (!ac.signal.aborted) for (const s of await r.wait(100)) emit(name, s.data, s.cpu);
          if (r.lost) io.err(`${name}: ${r.lost} records lost`);
        })());
      }
    }
    const stop = () => ac.abort();
    process.once("SIGINT", stop);
    const timer = values.duration ? setTimeout(stop, Number(values.duration) * 1000) : undefined;
    if (!loops.length) io.err("no ring buffer or perf buffer to read: waiting for Ctrl-C to detach");
    await new Promise<void>((res) => (ac.signal.aborted ? res() : ac.signal.addEventListener("abort", () => res())));
    await Promise.all(loops);
    process.off("SIGINT", stop);
    if (timer) clearTimeout(timer);
  } finally {
    for (const r of readers) r.close();
    attached?.close();
  }
  try {
    if (!values["no-maps"]) {
      for (const m of spec.maps) {
        const map = obj.maps.get(m.name);
        if (!map || map.typeName === "ringbuf" || map.typeName === "perf_event_array" || m.origin === "data" || m.origin === "kconfig") continue;
        io.out(`${m.name}:`);
        const btf = spec.btf && (m.keyType || m.valueType) ? { btf: spec.btf, ...(m.keyType ? { keyType: m.keyType } : {}), ...(m.valueType ? { valueType: m.valueType } : {}) } : undefined;
        io.out(formatMapDump(map, btf).replace(/\n$/, ""));
      }
    }
  } finally {
    obj.close();
  }
  return 0;
}
