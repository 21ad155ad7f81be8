/**
 * @fileoverview What a run's programs sent to userspace: the records of every ring buffer
 * and perf event array of the object, read as a consumer would (the runtime's readers or
 * the kernel's mmapped rings), each decoded through the object's BTF struct of its size.
 */

import type { Btf, BtfType } from "../btf/index.js";
import { formatValue } from "../btf/format.js";
import { PerfReader, RingBufReader, type BpfMap, type PerfEventArrayMap, type RingBufMap } from "../maps/index.js";
import type { RedirectTarget } from "../maps/redirect.js";
import type { MapSpec } from "../object/index.js";
import { dumpMap, mapToJson, type DumpableMap } from "./map-dump.js";

/** One record: the map it came from, its bytes, and (perf buffers) the CPU. */
export interface RunRecord {
  readonly map: string;
  readonly data: Uint8Array;
  readonly cpu?: number;
}

/** Map types whose contents are records, not elements (a dump of them has nothing to show). */
export const RECORD_MAP_TYPES: ReadonlySet<string> = new Set(["ringbuf", "perf_event_array", "user_ringbuf"]);

interface Reader { readonly map: string; read(): { data: Uint8Array; cpu?: number }[]; close?(): void }

/**
 * Readers for the ring buffers and perf event arrays of a loaded object, made before the
 * runs (a perf event array needs its rings in place to be written to). `kernel`: the
 * object's maps are KernelMaps; a reader that cannot be made there is left out, with why.
 */
export async function recordReaders(maps: ReadonlyMap<string, unknown>, kernel: boolean): Promise<{ collect(): RunRecord[]; close(): void; notes: string[]; readable: ReadonlySet<string> }> {
  const readers: Reader[] = [];
  const notes: string[] = [];
  for (const [name, m] of maps) {
    const type = (m as { typeName?: string }).typeName;
    if (type !== "ringbuf" && type !== "perf_event_array") continue;
    try {
      if (!kernel) {
        if (type === "ringbuf") {
          const r = new RingBufReader(m as RingBufMap);
          readers.push({ map: name, read: () => r.read().map((data) => ({ data })) });
        } else {
          const r = new PerfReader(m as PerfEventArrayMap);
          readers.push({ map: name, read: () => r.read().map((s) => ({ data: s.data, cpu: s.cpu })) });
        }
        continue;
      }
      const k = await import("../kernel/index.js");
      if (type === "ringbuf") {
        const r = new k.KernelRingBufReader(m as never);
        readers.push({ map: name, read: () => r.read().map((data) => ({ data })), close: () => r.close() });
      } else {
        // A ring per possible CPU: the array may have more slots than the machine has CPUs.
        const r = new k.KernelPerfReader(m as never, { cpus: k.possibleCpus() });
        readers.push({ map: name, read: () => r.read().map((s) => ({ data: s.data, cpu: s.cpu })), close: () => r.close() });
      }
    } catch (e) {
      notes.push(`map ${name}: its records cannot be read (${(e as Error).message})`);
    }
  }
  return {
    notes,
    readable: new Set(readers.map((r) => r.map)),
    collect: () => readers.flatMap((r) => r.read().map((x) => ({ map: r.map, ...x }))),
    close: () => { for (const r of readers) r.close?.(); },
  };
}

/**
 * The BTF struct a record of `size` bytes is: the one struct of that size the object
 * declares, or among several the one named like an event (event, data, sample, record).
 * A perf sample may carry up to 7 bytes of padding after the struct.
 */
export function recordType(btf: Btf | undefined, size: number, padded = false): number | undefined {
  if (!btf) return undefined;
  const fits = (t: BtfType) => {
    if (t.kind !== "struct" || !t.name || t.name.startsWith("bpf_") || t.name.startsWith("__")) return false;
    const s = btf.sizeof(t.id);
    return s === size || (padded && s < size && size - s < 8);
  };
  const all = btf.types.filter(fits);
  if (all.length === 1) return all[0]!.id;
  const named = all.filter((t) => /event|data|sample|record|info|msg/i.test((t as { name: string }).name));
  return named.length === 1 ? named[0]!.id : undefined;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

/** A record as plain data: the BTF struct's fields (char arrays as strings), or hex. */
export function decodeRecord(btf: Btf | undefined, r: RunRecord): unknown {
  const id = recordType(btf, r.data.length, r.cpu !== undefined);
  if (btf && id !== undefined) {
    try { return formatValue(btf, id, r.data); } catch { /* hex below */ }
  }
  return hex(r.data);
}

/** Records by map, decoded, for --json: `{ NAME: [record, ...] }`. */
export function recordsToJson(btf: Btf | undefined, records: readonly RunRecord[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const r of records) (out[r.map] ??= []).push(decodeRecord(btf, r));
  return out;
}

/** The summary's lines for the records: a heading per map, one line per record (the last `limit`). */
export function recordLines(btf: Btf | undefined, records: readonly RunRecord[], limit = 32): string[] {
  const lines: string[] = [];
  const byMap = new Map<string, RunRecord[]>();
  for (const r of records) { let l = byMap.get(r.map); if (!l) byMap.set(r.map, (l = [])); l.push(r); }
  const big = (_k: string, v: unknown) => (typeof v === "bigint" ? (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER) ? v.toString() : Number(v)) : v);
  for (const [map, rs] of byMap) {
    const id = recordType(btf, rs[0]!.data.length, rs[0]!.cpu !== undefined);
    const type = id !== undefined && btf ? ` (struct ${(btf.type(id) as { name: string }).name})` : "";
    lines.push(`${map}: ${rs.length} record${rs.length === 1 ? "" : "s"}${type}`);
    if (rs.length > limit) lines.push(`  ... the last ${limit}:`);
    for (const r of rs.slice(-limit)) lines.push(`  ${r.cpu !== undefined ? `cpu ${r.cpu}: ` : ""}${JSON.stringify(decodeRecord(btf, r), big)}`);
  }
  return lines;
}

/** Whether a map of the object is dumped as elements (not a ring of records, not constants). */
export function dumpsAsElements(name: string, m: unknown, spec: MapSpec | undefined): boolean {
  if (/\.(rodata|kconfig)/.test(name)) return false;
  const type = (m as BpfMap | undefined)?.typeName ?? spec?.type;
  return !RECORD_MAP_TYPES.has(type ?? "");
}

/** What a single run leaves to report: its maps (decoded and as dump lines), records and redirect. */
export interface RunReport {
  readonly maps: Record<string, unknown>;
  readonly mapLines: readonly string[];
  readonly records: readonly RunRecord[];
  /** The records decoded, by map (`--json`'s `records`). */
  readonly recordsJson: Record<string, unknown[]>;
}

/**
 * Starts watching an object's run: record readers made now, and `finish()` (before the
 * object is closed) reads the maps and records the run left.
 */
export async function watchRun(object: { maps: ReadonlyMap<string, unknown> }, spec: { maps: readonly MapSpec[]; btf?: Btf | undefined }, kernel: boolean): Promise<{ finish(): RunReport }> {
  const readers = await recordReaders(object.maps, kernel);
  return {
    finish() {
      const specs = new Map(spec.maps.map((m) => [m.name, m]));
      const records = readers.collect();
      readers.close();
      const maps: Record<string, unknown> = {};
      const mapLines: string[] = [...readers.notes];
      for (const [name, m] of object.maps) {
        if (!dumpsAsElements(name, m, specs.get(name))) continue;
        try {
          maps[name] = mapToJson(m as DumpableMap, specs.get(name), spec.btf);
          mapLines.push(`map ${name}:`, ...dumpMap(m as DumpableMap, specs.get(name), spec.btf).map((l) => `  ${l}`));
        } catch (e) {
          mapLines.push(`map ${name}: (${(e as Error).message})`);
        }
      }
      mapLines.push(...recordLines(spec.btf, records));
      return { maps, mapLines, records, recordsJson: recordsToJson(spec.btf, records) };
    },
  };
}

const u32le = (b: Uint8Array) => (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;

/** Where a redirect went, as the summary names it: `devmap tx_ports[3] (ifindex 7)`, `cpumap cpus[1]`, `ifindex 4`. */
export function describeRedirect(map: RedirectTarget | undefined, helper: { helper: string; ifindex: number } | undefined): string | undefined {
  if (map) {
    const slot = map.key === undefined ? " (broadcast)" : `[${map.key}]`;
    const ifindex = (map.mapType === "devmap" || map.mapType === "devmap_hash") && map.value && map.value.length >= 4 ? ` (ifindex ${u32le(map.value)})` : "";
    return `${map.mapType} ${map.map}${slot}${ifindex}`;
  }
  if (helper) return `${helper.helper === "redirect" ? "" : `${helper.helper} `}ifindex ${helper.ifindex}`;
  return undefined;
}
