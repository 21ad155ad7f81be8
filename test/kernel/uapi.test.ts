/**
 * @fileoverview The ABI tables against the running kernel's own BTF: every member of
 * every bpf_attr/info layout sits at the kernel's offset with the kernel's size, and
 * the program, map, attach type and command tables number things as the kernel does.
 * Needs bpftool and /sys/kernel/btf/vmlinux, not bpf() privileges.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { MAP_TYPES } from "../../src/maps/types.js";
import { ATTACH_TYPES, PROGRAM_TYPES } from "../../src/programs/types.js";
import { Cmd, cmdName, LAYOUTS } from "../../src/kernel/uapi.js";

interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: { name: string; type_id: number; bits_offset: number; bitfield_size?: number }[];
  values?: { name: string; val: number }[];
}

function loadVmlinux(): BtfType[] | string {
  if (!existsSync("/sys/kernel/btf/vmlinux")) return "no /sys/kernel/btf/vmlinux";
  try {
    const out = execFileSync("bpftool", ["-j", "btf", "dump", "file", "/sys/kernel/btf/vmlinux"], { maxBuffer: 256 << 20, encoding: "utf8" });
    return (JSON.parse(out) as { types: BtfType[] }).types;
  } catch (e) {
    return `bpftool cannot dump the kernel's BTF: ${(e as Error).message.split("\n")[0]}`;
  }
}

const vmlinux = loadVmlinux();
const skip = typeof vmlinux === "string" ? vmlinux : false;
const types = typeof vmlinux === "string" ? [] : vmlinux;
const byId = (id: number) => types[id - 1]!;

function sizeOf(id: number): number {
  const t = byId(id);
  if (t.kind === "ARRAY") return t.nr_elems! * sizeOf(t.type_id!);
  if (t.size !== undefined) return t.size;
  return sizeOf(t.type_id!); // typedefs and qualifiers
}

function resolve(id: number): BtfType {
  const t = byId(id);
  return ["TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG"].includes(t.kind) ? resolve(t.type_id!) : t;
}

/** Every member reachable from a struct or union, as "a.b" paths, anonymous members flattened as C flattens them. */
function flatten(t: BtfType, prefix = "", base = 0, out = new Map<string, { offset: number; size: number; bitfield: boolean }>()) {
  for (const m of t.members ?? []) {
    const inner = resolve(m.type_id);
    const offset = base + m.bits_offset / 8;
    if (m.name === "(anon)") {
      flatten(inner, prefix, offset, out);
      continue;
    }
    out.set(prefix + m.name, { offset: Math.floor(offset), size: sizeOf(m.type_id), bitfield: !!m.bitfield_size });
    if (inner.kind === "STRUCT" || inner.kind === "UNION") flatten(inner, `${prefix}${m.name}.`, offset, out);
  }
  return out;
}

test("every bpf_attr and info member is where the kernel has it", { skip }, (t) => {
  const missing: string[] = [];
  let checked = 0;
  for (const [name, layout] of Object.entries(LAYOUTS)) {
    const [kind, cName] = layout.cType.split(" ") as [string, string];
    const owner = types.find((x) => x.kind === kind.toUpperCase() && x.name === cName);
    assert.ok(owner, `${layout.cType} is in the kernel's BTF`);
    const members = flatten(owner);
    for (const field of layout.fields.values()) {
      const path = layout.cPrefix + field.name;
      const k = members.get(path);
      if (!k) {
        missing.push(`${layout.cType} ${path}`);
        continue;
      }
      assert.equal(field.offset, k.offset, `${name}: offsetof(${layout.cType}, ${path})`);
      checked++;
      if (field.type !== "bits32") assert.equal(field.size, k.size, `${name}: sizeof ${path}`);
      else assert.ok(k.bitfield, `${path} is a bitfield`);
    }
  }
  assert.ok(checked > 140, `${checked} members checked`);
  // An older kernel lacks the newest members; tsbpf leaves those zero, which it accepts.
  if (missing.length) t.diagnostic(`not in this kernel: ${missing.join(", ")}`);
});

function kernelEnum(name: string, prefix: string): Map<number, string> {
  const e = types.find((x) => x.kind === "ENUM" && x.name === name);
  assert.ok(e, `enum ${name} is in the kernel's BTF`);
  const out = new Map<number, string>();
  for (const v of e.values!) {
    if (v.name.startsWith("__MAX") || v.name.startsWith("MAX_") || v.name.endsWith("_DEPRECATED")) continue;
    // Aliases (BPF_PROG_RUN = BPF_PROG_TEST_RUN) keep the first name.
    if (!out.has(v.val)) out.set(v.val, v.name.slice(prefix.length).toLowerCase());
  }
  return out;
}

test("program, map and attach type tables number and name types as the kernel does", { skip }, () => {
  for (const [table, name, prefix] of [
    [PROGRAM_TYPES, "bpf_prog_type", "BPF_PROG_TYPE_"],
    [MAP_TYPES, "bpf_map_type", "BPF_MAP_TYPE_"],
    [ATTACH_TYPES, "bpf_attach_type", "BPF_"],
  ] as const) {
    const kernel = kernelEnum(name, prefix);
    for (const [id, kname] of kernel) {
      const row = (table as readonly { id: number; name: string }[])[id];
      assert.ok(row, `enum ${name} value ${id} (${kname}) is in tsbpf's table`);
      assert.equal(row.id, id);
      assert.equal(row.name, kname, `enum ${name} value ${id}`);
    }
  }
});

test("command numbers and names are the kernel's", { skip }, () => {
  const kernel = kernelEnum("bpf_cmd", "");
  for (const [, id] of Object.entries(Cmd)) {
    const kname = kernel.get(id);
    if (kname !== undefined) assert.equal(cmdName(id), kname.toUpperCase());
  }
  assert.equal(cmdName(Cmd.MapCreate), "BPF_MAP_CREATE");
});
