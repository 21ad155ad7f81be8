/**
 * @fileoverview `tsbpf object FILE.o [--json]`: an object as libbpf opens it — programs
 * (section, type, instructions, source file) and maps (type, sizes, flags). The Node
 * edge of the object loader: it reads the file, the kernel's BTF and its kconfig.
 */

import { existsSync, readFileSync } from "node:fs";
import { release } from "node:os";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { parseBtf } from "../btf/index.js";
import type { Btf } from "../btf/index.js";
import { BpfError } from "../errors.js";
import { loadObjectSpec, type LoadObjectSpecOptions } from "../object/spec.js";
import type { KconfigValue } from "../object/externs.js";
import { UnresolvedExternError } from "../object/errors.js";
import type { ObjectSpec } from "../object/types.js";
import { pinningName } from "../object/pinning.js";
import { planTailCalls } from "../object/tail-calls.js";

export const OBJECT_USAGE = `usage: tsbpf object FILE.o [--json] [--kconfig NAME=VALUE]...`;

export async function objectCommand(args: string[], io: { out(s: string): void; err(s: string): void }): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      kconfig: { type: "string", multiple: true, default: [] },
    },
  });
  if (positionals.length !== 1) {
    io.err(OBJECT_USAGE);
    return 2;
  }
  const file = positionals[0]!;
  const spec = openObject(new Uint8Array(readFileSync(file)), file, values.kconfig ?? []);
  io.out(values.json ? JSON.stringify(objectJson(spec), null, 2) : objectText(spec));
  return 0;
}

/** The spec, with the host's kconfig and, when CO-RE needs it, the kernel's BTF. */
export function openObject(bytes: Uint8Array, file: string, kconfigArgs: readonly string[] = []): ObjectSpec {
  const options: LoadObjectSpecOptions = { name: file, kconfig: { ...hostKconfig(), ...parseKconfigArgs(kconfigArgs) } };
  let spec: ObjectSpec;
  try {
    spec = loadObjectSpec(bytes, options);
  } catch (e) {
    // __ksym variables resolve through /proc/kallsyms, as libbpf does; read it only when needed.
    if (!(e instanceof UnresolvedExternError) || e.section !== ".ksyms") throw e;
    options.ksyms = hostKsyms();
    spec = loadObjectSpec(bytes, options);
  }
  if (!spec.programs.some((p) => p.pendingCore.length > 0)) return spec;
  const vmlinux = kernelBtf();
  return vmlinux ? loadObjectSpec(bytes, { ...options, targetBtf: vmlinux }) : spec;
}

/** /sys/kernel/btf/vmlinux, parsed, or undefined where the kernel has none. */
export function kernelBtf(): Btf | undefined {
  const path = "/sys/kernel/btf/vmlinux";
  return existsSync(path) ? parseBtf(new Uint8Array(readFileSync(path))) : undefined;
}

function parseKconfigArgs(args: readonly string[]): Record<string, KconfigValue> {
  const out: Record<string, KconfigValue> = {};
  for (const a of args) {
    const eq = a.indexOf("=");
    if (eq <= 0) throw new BpfError("EINVAL", `--kconfig ${a}: expected NAME=VALUE`);
    out[a.slice(0, eq)] = kconfigValue(a.slice(eq + 1));
  }
  return out;
}

function kconfigValue(text: string): KconfigValue {
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) return text.slice(1, -1).replace(/\\(.)/g, "$1");
  if (/^-?(0x[0-9a-f]+|\d+)$/i.test(text)) return BigInt(text);
  return text; // y, n, m
}

/**
 * What libbpf reads for `__kconfig` externs: the kernel's config (/boot/config-$(uname -r)
 * or /proc/config.gz) and LINUX_KERNEL_VERSION from the release string.
 */
export function hostKconfig(): Record<string, KconfigValue> {
  const out: Record<string, KconfigValue> = {};
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release());
  if (m) out.LINUX_KERNEL_VERSION = (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(255, Number(m[3] ?? 0));
  let text: string | undefined;
  try {
    const boot = `/boot/config-${release()}`;
    if (existsSync(boot)) text = readFileSync(boot, "utf8");
    else if (existsSync("/proc/config.gz")) text = gunzipSync(readFileSync("/proc/config.gz")).toString("utf8");
  } catch {
    text = undefined;
  }
  for (const line of (text ?? "").split("\n")) {
    const eq = line.indexOf("=");
    if (!line.startsWith("CONFIG_") || eq < 0) continue;
    out[line.slice(0, eq)] = kconfigValue(line.slice(eq + 1));
  }
  return out;
}

/** Kernel symbol addresses from /proc/kallsyms (zeros unless the reader may see them). */
export function hostKsyms(): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  let text = "";
  try {
    text = readFileSync("/proc/kallsyms", "utf8");
  } catch {
    return out;
  }
  for (const line of text.split("\n")) {
    const [addr, , name] = line.split(/\s+/, 3);
    if (addr && name && !(name in out)) out[name] = BigInt(`0x${addr}`);
  }
  return out;
}

/** The --json shape: bpftool's field names and the kernel's type names. */
export function objectJson(spec: ObjectSpec) {
  const tail = planTailCalls(spec);
  return {
    programs: spec.programs.map((p) => ({ name: p.name, section: p.sectionName, type: p.type, insns: p.instructions.length })),
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
    for (const p of spec.programs) rows.push([p.name, p.sectionName, p.type, String(p.instructions.length), p.lineInfo[0]?.fileName ?? "-"]);
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
  const tail = planTailCalls(spec);
  if (tail.slots.length || tail.errors.length) {
    lines.push(`tail calls (${tail.slots.length}):`);
    for (const t of tail.slots) lines.push(`  ${t.map}[${t.slot}] = ${t.program} (section ${t.section})`);
    for (const e of tail.errors) lines.push(`  not filled: ${e.message}`);
  }
  lines.push(`license: ${spec.license || "(none)"}`);
  return lines.join("\n");
}
