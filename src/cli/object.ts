/**
 * @fileoverview `tsbpf object FILE.o [--json]`: an object as libbpf opens it — programs
 * (section, type, instructions, source file) and maps (type, sizes, flags) — and the
 * options every command that opens an object takes (--type, --kconfig, --max-entries).
 */

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { BpfError } from "../errors.js";
import type { KconfigValue } from "../object/externs.js";
import { hostKconfig, kconfigValue, kernelBtf, pageSize } from "../object/host.js";
import { loadObjectSpec, type LoadObjectSpecOptions } from "../object/spec.js";
import type { ObjectSpec } from "../object/types.js";
import { programTypeId, type ProgramTypeName } from "../programs/types.js";
import { pinningName } from "../object/pinning.js";
import { planTailCalls } from "../object/tail-calls.js";
import { matchSection } from "../object/sections.js";

/** The part of every usage line that opens an object. */
export const OPEN_USAGE = "[--type NAME=TYPE]... [--kconfig NAME=VALUE]... [--max-entries MAP=N]...";

export const OBJECT_USAGE = `usage: tsbpf object FILE.o [--json] ${OPEN_USAGE}
  --type NAME=TYPE      the program type (or a section name: tc, cgroup/connect4) of programs or
                        sections NAME (a glob: "2/*"), as bpftool's "type xdp"
  --kconfig NAME=VALUE  a __kconfig extern's value (default: the running kernel's config)
  --max-entries MAP=N   a map's max_entries, as bpf_map__set_max_entries
INSNS counts slots of the program's own function (a 64-bit load is two), as libbpf's bpf_program__insn_cnt.`;

/** parseArgs options for opening an object; spread them into a command's own. */
export const OPEN_OPTIONS = {
  type: { type: "string" as const, multiple: true as const, default: [] as string[] },
  kconfig: { type: "string" as const, multiple: true as const, default: [] as string[] },
  "max-entries": { type: "string" as const, multiple: true as const, default: [] as string[] },
};

/** What OPEN_OPTIONS parsed to. */
export interface OpenArgs {
  readonly type?: readonly string[] | undefined;
  readonly kconfig?: readonly string[] | undefined;
  readonly "max-entries"?: readonly string[] | undefined;
}

export async function objectCommand(args: string[], io: { out(s: string): void; err(s: string): void }): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean", default: false }, ...OPEN_OPTIONS },
  });
  if (positionals.length !== 1) {
    io.err(OBJECT_USAGE);
    return 2;
  }
  const file = positionals[0]!;
  const spec = openObject(new Uint8Array(readFileSync(file)), file, values);
  io.out(values.json ? JSON.stringify(objectJson(spec), null, 2) : objectText(spec));
  return 0;
}

/**
 * The spec with the host's kconfig (and libbpf's LINUX_HAS_* values), the user's
 * --type, --kconfig and --max-entries, and, when CO-RE needs it, the kernel's BTF.
 * Old callers may pass the --kconfig values alone.
 */
export function openObject(bytes: Uint8Array, file: string, args: OpenArgs | readonly string[] = {}): ObjectSpec {
  const open: OpenArgs = Array.isArray(args) ? { kconfig: args as readonly string[] } : (args as OpenArgs);
  const options: LoadObjectSpecOptions = {
    name: file,
    kconfig: { ...hostKconfig(), ...parseKconfigArgs(open.kconfig ?? []) },
    programTypes: parseTypeArgs(open.type ?? []),
    maxEntries: parseMaxEntriesArgs(open["max-entries"] ?? []),
    pageSize: pageSize(),
  };
  const spec = loadObjectSpec(bytes, options);
  if (!spec.programs.some((p) => p.pendingCore.length > 0)) return spec;
  const vmlinux = kernelBtf();
  return vmlinux ? loadObjectSpec(bytes, { ...options, targetBtf: vmlinux }) : spec;
}

/** NAME=VALUE pairs of a repeatable flag. */
function pairs(flag: string, args: readonly string[], what: string): [string, string][] {
  return args.map((a) => {
    const eq = a.indexOf("=");
    if (eq <= 0 || eq === a.length - 1) throw new BpfError("EINVAL", `--${flag} ${a}: expected ${what}`);
    return [a.slice(0, eq), a.slice(eq + 1)];
  });
}

function parseKconfigArgs(args: readonly string[]): Record<string, KconfigValue> {
  return Object.fromEntries(pairs("kconfig", args, "NAME=VALUE").map(([k, v]) => [k, kconfigValue(v)]));
}

function parseTypeArgs(args: readonly string[]): Record<string, string> {
  return Object.fromEntries(pairs("type", args, "NAME=TYPE").map(([k, v]) => {
    const known = matchSection(v);
    try {
      programTypeId(v as ProgramTypeName);
    } catch {
      if (!known || known.def.attachBtf) throw new BpfError("EINVAL", `--type ${k}=${v}: unknown program type ${v} (xdp, sched_cls, socket_filter, ... or a section name such as tc)`);
    }
    return [k, v];
  }));
}

function parseMaxEntriesArgs(args: readonly string[]): Record<string, number> {
  return Object.fromEntries(pairs("max-entries", args, "MAP=N").map(([k, v]) => {
    const n = Number(v);
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(v) || n > 0xffffffff) throw new BpfError("EINVAL", `--max-entries ${k}=${v}: ${v} is not a u32`);
    return [k, n];
  }));
}

/** libbpf's `bpf_program__insn_cnt` after open: the slots of the program's own function. */
export const insnCount = (p: ObjectSpec["programs"][number]): number =>
  p.functionSlots ?? p.instructions.reduce((n, i) => n + (i.opcode === 0x18 ? 2 : 1), 0);

/** The --json shape: bpftool's field names and the kernel's type names. */
export function objectJson(spec: ObjectSpec) {
  const tail = planTailCalls(spec);
  return {
    programs: spec.programs.map((p) => ({ name: p.name, section: p.sectionName, type: p.type, insns: insnCount(p) })),
    maps: spec.maps.map((m) => ({
      name: m.name, type: m.type, key_size: m.keySize, value_size: m.valueSize, max_entries: m.maxEntries, flags: m.flags,
      ...(m.pinning ? { pinning: pinningName(m) } : {}),
      ...(m.iproute2 ? { iproute2: { id: m.iproute2.id, inner_id: m.iproute2.innerId, inner_idx: m.iproute2.innerIdx } } : {}),
    })),
    ...(tail.slots.length ? { tail_calls: tail.slots } : {}),
    ...(tail.errors.length ? { tail_call_errors: tail.errors.map((e) => e.message) } : {}),
  };
}



function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd());
}

function objectText(spec: ObjectSpec): string {
  const lines: string[] = [];
  lines.push(`programs (${spec.programs.length}):`);
  if (spec.programs.length) {
    const rows = [["NAME", "SECTION", "TYPE", "INSNS", "SOURCE"]];
    for (const p of spec.programs) rows.push([p.name, p.sectionName, p.type, String(insnCount(p)), p.lineInfo[0]?.fileName ?? "-"]);
    lines.push(...table(rows).map((l) => `  ${l}`));
  }
  lines.push(`maps (${spec.maps.length}):`);
  if (spec.maps.length) {
    // iproute2's id and the pinning, only for objects that have them (struct bpf_elf_map, pinned maps).
    const more = spec.maps.some((m) => m.iproute2 || m.pinning);
    const rows = [["NAME", "TYPE", "KEY", "VALUE", "MAX_ENTRIES", "FLAGS", ...(more ? ["ID", "PINNING"] : [])]];
    for (const m of spec.maps) {
      const extra = more ? [m.iproute2 ? String(m.iproute2.id) : "-", pinningName(m)] : [];
      rows.push([m.name, m.type, String(m.keySize), String(m.valueSize), String(m.maxEntries), `0x${m.flags.toString(16)}`, ...extra]);
    }
    lines.push(...table(rows).map((l) => `  ${l}`));
  }
  for (const m of spec.maps) {
    for (const name of m.unresolved ?? []) lines.push(`unresolved: ${name} (${m.section ?? m.name}): loading fails until it has a value (--kconfig ${name}=VALUE)`);
  }
  const tail = planTailCalls(spec);
  if (tail.slots.length || tail.errors.length) {
    lines.push(`tail calls (${tail.slots.length}):`);
    for (const t of tail.slots) lines.push(`  ${t.map}[${t.slot}] = ${t.program} (section ${t.section})`);
    for (const e of tail.errors) lines.push(`  not filled: ${e.message}`);
  }
  lines.push(`license: ${spec.license || "(none)"}`);
  return lines.join("\n");
}
