/**
 * @fileoverview `tsbpf map`, in bpftool's words: list and show (bpftool's text and JSON),
 * dump (src/maps/dump.ts's bpftool layout; -j gives bytes as hex strings plus
 * `formatted` through the map's BTF), lookup, update, delete and pin.
 */

import { parseBtf, type Btf } from "../btf/index.js";
import { formatValue } from "../btf/format.js";
import { BpfError } from "../errors.js";
import * as bpf from "../kernel/bpf.js";
import { mapIds, type MapInfo } from "../kernel/info.js";
import { KernelMap } from "../kernel/map.js";
import { BTF_INFO } from "../kernel/uapi.js";
import { formatMapDump, type MapBtf } from "../maps/dump.js";
import { mapTypeInfo } from "../maps/types.js";
import {
  bpftoolPretty, fdinfoField, hexArray, pinnedPaths, hexWords, holdersOf, holdersText, mapIdsOf, need, parseBytes, parseRef, printJson, splitGlobals, tryInfo,
  UsageError, withFd, type Globals,
} from "./bpftool-common.js";
import type { Io } from "./io.js";

export const MAP_USAGE = `usage: tsbpf map { show | list } [MAP]
       tsbpf map dump MAP
       tsbpf map lookup MAP key DATA
       tsbpf map update MAP key DATA value VALUE [UPDATE_FLAGS]
       tsbpf map delete MAP key DATA
       tsbpf map pin MAP FILE
       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }
       DATA := { [hex] BYTES }
       UPDATE_FLAGS := { any | exist | noexist }
       OPTIONS := { -j|--json [-p|--pretty] }`;

/** The BTF a map was created with, read back from the kernel, or undefined. */
export function mapBtf(info: MapInfo): MapBtf | undefined {
  if (!info.btfId || (!info.btfKeyTypeId && !info.btfValueTypeId)) return undefined;
  try {
    const btf: Btf = withFd(bpf.btfGetFdById(info.btfId), (fd) => {
      const size = bpf.objGetInfoByFd(fd, BTF_INFO, [], "btf info").info.num("btf_size");
      const { arrays } = bpf.objGetInfoByFd(fd, BTF_INFO, [{ ptr: "btf", len: "btf_size", lenValue: size, bytes: size }], "btf info");
      return parseBtf(arrays[0]!);
    });
    return { btf, ...(info.btfKeyTypeId ? { keyType: info.btfKeyTypeId } : {}), ...(info.btfValueTypeId ? { valueType: info.btfValueTypeId } : {}) };
  } catch {
    // BTF split over vmlinux, or one tsbpf cannot parse: show bytes, as bpftool does without BTF.
    return undefined;
  }
}

/** bpftool map show's JSON object. */
export function mapJson(info: MapInfo, fd: number, pinned: readonly string[] = []): Record<string, unknown> {
  const o: Record<string, unknown> = { id: info.id, type: info.typeName };
  if (info.name) o.name = info.name;
  o.flags = info.flags;
  o.bytes_key = info.keySize;
  o.bytes_value = info.valueSize;
  o.max_entries = info.maxEntries;
  const memlock = fdinfoField(fd, "memlock");
  if (memlock !== undefined) o.bytes_memlock = memlock;
  o.frozen = fdinfoField(fd, "frozen") ?? 0;
  if (info.btfId) o.btf_id = info.btfId;
  if (pinned.length) o.pinned = pinned;
  const pids = holdersOf("map", info.id);
  if (pids.length) o.pids = pids;
  return o;
}

/** bpftool map show's text. */
export function mapText(info: MapInfo, fd: number, pinned: readonly string[] = []): string {
  let s = `${info.id}: ${info.typeName}  ${info.name ? `name ${info.name}  ` : ""}flags 0x${info.flags.toString(16)}`;
  s += `\n\tkey ${info.keySize}B  value ${info.valueSize}B  max_entries ${info.maxEntries}`;
  const memlock = fdinfoField(fd, "memlock");
  if (memlock !== undefined) s += `  memlock ${memlock}B`;
  if (fdinfoField(fd, "frozen")) s += "\n\tfrozen";
  for (const p of pinned) s += `\n\tpinned ${p}`;
  if (info.btfId) s += `\n\tbtf_id ${info.btfId}`;
  const pids = holdersOf("map", info.id);
  if (pids.length) s += `\n\tpids ${holdersText(pids)}`;
  return s;
}

function open(id: number): KernelMap {
  return KernelMap.fromId(id);
}

function withMap<T>(id: number, fn: (m: KernelMap) => T): T {
  const m = open(id);
  try {
    return fn(m);
  } finally {
    m.close();
  }
}

const formatted = (bytes: Uint8Array, btf: MapBtf | undefined, type: number | undefined): unknown => {
  if (!btf || !type) return undefined;
  try {
    return formatValue(btf.btf, type, bytes);
  } catch {
    return undefined;
  }
};

/** One element as bpftool's JSON: bytes as hex strings, and `formatted` through BTF. */
function elementJson(m: KernelMap, key: Uint8Array, value: Uint8Array, btf: MapBtf | undefined): Record<string, unknown> {
  const perCpu = mapTypeInfo(m.type)?.perCpu ?? false;
  const o: Record<string, unknown> = { key: hexArray(key) };
  const values = perCpu ? (m.getPerCpu(key) ?? [value]) : undefined;
  if (values) o.values = values.map((v, cpu) => ({ cpu, value: hexArray(v) }));
  else o.value = hexArray(value.subarray(0, m.valueSize));
  if (btf) {
    const f: Record<string, unknown> = { key: formatted(key, btf, btf.keyType) };
    if (values) f.values = values.map((v, cpu) => ({ cpu, value: formatted(v, btf, btf.valueType) }));
    else f.value = formatted(value.subarray(0, m.valueSize), btf, btf.valueType);
    o.formatted = f;
  }
  return o;
}

function showMaps(io: Io, g: Globals, ids: readonly number[], list: boolean): number {
  const out: unknown[] = [];
  for (const id of ids) {
    const r = tryInfo(() => withMap(id, (m) => {
      const info = m.info();
      const pinned = g.bpffs ? pinnedPaths("map", info.id) : [];
      return g.json ? mapJson(info, m.fd, pinned) : mapText(info, m.fd, pinned);
    }));
    if (r === undefined) continue;
    if (g.json) out.push(r);
    else io.out(r as string);
  }
  if (g.json) printJson(io, g, list ? out : out[0]);
  return 0;
}

const FLAGS: Record<string, "any" | "exist" | "noexist"> = { any: "any", exist: "exist", noexist: "noexist" };

export async function mapCommand(argv: string[], io: Io): Promise<number> {
  const { globals: g, rest: args } = splitGlobals(argv);
  const verb = args.shift() ?? "show";
  const ref = () => mapIdsOf(parseRef(args, ["id", "pinned", "name"], "map"));
  const one = () => {
    const ids = ref();
    if (ids.length > 1) throw new UsageError(`several maps have this name (ids ${ids.join(", ")}): name one by id`);
    return ids[0]!;
  };
  switch (verb) {
    case "show": case "list":
      if (args.length) { const ids = ref(); return showMaps(io, g, ids, ids.length > 1); }
      return showMaps(io, g, [...mapIds()], true);
    case "dump": {
      const ids = ref();
      const all: unknown[] = [];
      for (const id of ids) {
        withMap(id, (m) => {
          const btf = mapBtf(m.info());
          if (g.json) for (const [k, v] of m.entries()) all.push(elementJson(m, k, v, btf));
          else io.out(formatMapDump(m, btf).replace(/\n$/, ""));
        });
      }
      if (g.json) printJson(io, g, all);
      return 0;
    }
    case "lookup": case "delete": {
      const id = one();
      return withMap(id, (m) => {
        if (need(args, "key") !== "key") throw new UsageError("expected key");
        const key = parseBytes(args, m.keySize, "key");
        if (verb === "delete") {
          if (!m.delete(key)) throw new BpfError("EINVAL", "delete failed: No such file or directory");
          if (g.json) printJson(io, g, null);
          return 0;
        }
        const value = m.get(key);
        const btf = mapBtf(m.info());
        if (!value) {
          if (g.json) printJson(io, g, { key: hexArray(key), value: null });
          else io.out(`key:\n${hexWords(key)}\n\nNot found`);
          return g.json ? 0 : 1;
        }
        if (g.json) printJson(io, g, elementJson(m, key, value, btf));
        else if (btf) {
          io.out(bpftoolPretty(elementJson(m, key, value, btf).formatted));
        } else io.out(`key: ${hexWords(key)}  value: ${hexWords(value.subarray(0, m.valueSize))}`);
        return 0;
      });
    }
    case "update": {
      const id = one();
      return withMap(id, (m) => {
        if (need(args, "key") !== "key") throw new UsageError("expected key");
        const key = parseBytes(args, m.keySize, "key");
        if (need(args, "value") !== "value") throw new UsageError("expected value");
        const value = parseBytes(args, m.valueBytes, "value");
        const flag = args.length ? FLAGS[args.shift()!] : "any";
        if (!flag) throw new UsageError("update flags are any, exist or noexist");
        m.set(key, value, flag);
        if (g.json) printJson(io, g, null);
        return 0;
      });
    }
    case "pin": {
      const id = one();
      const path = need(args, "a pin path");
      withMap(id, (m) => m.pin(path));
      if (g.json) printJson(io, g, null);
      return 0;
    }
    case "help": io.out(MAP_USAGE); return 0;
    default: throw new UsageError(`unknown command '${verb}'\n${MAP_USAGE}`);
  }
}
