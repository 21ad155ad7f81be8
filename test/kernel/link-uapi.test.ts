/**
 * @fileoverview The attach ABI tables against the running kernel's BTF: every member of
 * the link_create, link_update, link_detach, raw_tracepoint, prog attach and query
 * layouts, and every per-type offset of struct bpf_link_info, sits where the kernel has
 * it; the link types are numbered as enum bpf_link_type. Needs bpftool and vmlinux BTF.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import type { Layout } from "../../src/kernel/layout.js";
import {
  LINK_CREATE, LINK_CREATE_KERNEL_NAMES, LINK_DETACH, LINK_INFO, LINK_INFO_AT, LINK_TYPES, LINK_UPDATE, PROG_ATTACH, PROG_QUERY, RAW_TP_OPEN,
} from "../../src/kernel/link-uapi.js";

interface BtfType {
  kind: string; name: string; size?: number; type_id?: number; nr_elems?: number;
  members?: { name: string; type_id: number; bits_offset: number }[]; values?: { name: string; val: number }[];
}

function loadVmlinux(): BtfType[] | string {
  if (!existsSync("/sys/kernel/btf/vmlinux")) return "no /sys/kernel/btf/vmlinux";
  try {
    return (JSON.parse(execFileSync("bpftool", ["-j", "btf", "dump", "file", "/sys/kernel/btf/vmlinux"], { maxBuffer: 256 << 20, encoding: "utf8" })) as { types: BtfType[] }).types;
  } catch (e) {
    return `bpftool cannot dump the kernel's BTF: ${(e as Error).message.split("\n")[0]}`;
  }
}

const vmlinux = loadVmlinux();
const skip = typeof vmlinux === "string" ? vmlinux : false;
const types = typeof vmlinux === "string" ? [] : vmlinux;
const byId = (id: number) => types[id - 1]!;
const resolve = (id: number): BtfType => {
  const t = byId(id);
  return ["TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG"].includes(t.kind) ? resolve(t.type_id!) : t;
};
const sizeOf = (id: number): number => {
  const t = byId(id);
  if (t.kind === "ARRAY") return t.nr_elems! * sizeOf(t.type_id!);
  return t.size ?? sizeOf(t.type_id!);
};

function flatten(t: BtfType, prefix = "", base = 0, out = new Map<string, { offset: number; size: number }>()) {
  for (const m of t.members ?? []) {
    const inner = resolve(m.type_id);
    const offset = base + m.bits_offset / 8;
    if (m.name === "(anon)") { flatten(inner, prefix, offset, out); continue; }
    out.set(prefix + m.name, { offset, size: sizeOf(m.type_id) });
    if (inner.kind === "STRUCT" || inner.kind === "UNION") flatten(inner, `${prefix}${m.name}.`, offset, out);
  }
  return out;
}

const members = (kind: string, name: string) => {
  const t = types.find((x) => x.kind === kind && x.name === name);
  assert.ok(t, `${kind} ${name} is in the kernel's BTF`);
  return flatten(t);
};

test("the attach commands' bpf_attr members are where the kernel has them", { skip }, () => {
  const attr = members("UNION", "bpf_attr");
  let checked = 0;
  const check = (layout: Layout, rename: Record<string, string> = {}) => {
    const seen = new Set<number>();
    for (const f of layout.fields.values()) {
      if (seen.has(f.offset)) continue; // the other names of a union slot
      seen.add(f.offset);
      const path = layout.cPrefix + (rename[f.name] ?? f.name);
      const k = attr.get(path);
      assert.ok(k, `bpf_attr has ${path}`);
      assert.equal(f.offset, k.offset, `offsetof(union bpf_attr, ${path})`);
      checked++;
    }
  };
  check(LINK_CREATE, LINK_CREATE_KERNEL_NAMES);
  check(LINK_UPDATE);
  check(LINK_DETACH);
  check(RAW_TP_OPEN);
  check(PROG_ATTACH);
  check(PROG_QUERY);
  assert.ok(checked >= 35, `${checked} members checked`);
});

test("struct bpf_link_info's per-type members are where the kernel has them", { skip }, () => {
  const info = members("STRUCT", "bpf_link_info");
  for (const [path, at] of Object.entries(LINK_INFO_AT)) {
    assert.equal(info.get(path)?.offset, at, `offsetof(struct bpf_link_info, ${path})`);
    // Every offset the decoder reads lies in the layout tsbpf hands the kernel.
    assert.ok(at < LINK_INFO.size, `${path} inside the ${LINK_INFO.size} bytes asked for`);
  }
  for (const slot of [16, 24, 32, 48]) assert.equal(LINK_INFO.fields.get(`s${slot}`)?.offset, slot);
});

test("link types are numbered and named as enum bpf_link_type", { skip }, () => {
  const e = types.find((x) => x.kind === "ENUM" && x.name === "bpf_link_type");
  assert.ok(e);
  for (const v of e.values!) {
    if (v.name.startsWith("__MAX") || v.name.startsWith("MAX_")) continue;
    assert.equal(LINK_TYPES[v.val], v.name.replace("BPF_LINK_TYPE_", "").toLowerCase(), `link type ${v.val}`);
  }
});
