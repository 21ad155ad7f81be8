/**
 * @fileoverview The program-type table: one row per kernel type, context layouts equal to
 * the running kernel's BTF, helper sets equal to what the kernel answers, and the
 * verifier's view (verifierOpsFor) by name and by id.
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { release } from "node:os";
import { test } from "node:test";
import { parseBtf } from "../../src/btf/parse.js";
import { helperId } from "../../src/helpers/names.js";
import * as L from "../../src/programs/layouts.js";
import { HELPER_PROBES } from "../../src/programs/helper-probes.js";
import { helpersFor, PROGRAM_TYPE_TABLE, returnCodeName, RUN_TYPES, verifierOpsFor } from "../../src/programs/table.js";
import { PROGRAM_TYPES } from "../../src/programs/types.js";
import { skip } from "../kernel/helpers.js";

test("every kernel program type has a row, and verifierOpsFor finds it by name and by id", () => {
  assert.equal(PROGRAM_TYPE_TABLE.length, PROGRAM_TYPES.length);
  for (const t of PROGRAM_TYPES) {
    assert.equal(verifierOpsFor(t.name).name, t.name);
    assert.equal(verifierOpsFor(t.id), verifierOpsFor(t.name));
  }
  assert.throws(() => verifierOpsFor("nope" as never), /unknown program type "nope"/);
});

test("xdp: data, data_end and data_meta load as packet pointers; the context is read only", () => {
  const xdp = verifierOpsFor("xdp");
  assert.deepEqual(xdp.isValidAccess({ off: 0, size: 4, write: false }), { ok: true, type: "packet" });
  assert.deepEqual(xdp.isValidAccess({ off: 4, size: 4, write: false }), { ok: true, type: "packet_end" });
  assert.deepEqual(xdp.isValidAccess({ off: 8, size: 4, write: false }), { ok: true, type: "packet_meta" });
  assert.equal(xdp.isValidAccess({ off: 0, size: 2, write: false }).ok, false);
  assert.equal(xdp.isValidAccess({ off: 12, size: 4, write: true }).ok, false);
  assert.equal(xdp.isValidAccess({ off: 20, size: 4, write: false }).ok, false, "egress_ifindex outside devmap programs");
  assert.equal(xdp.isValidAccess({ off: 20, size: 4, write: false, attachType: "xdp_devmap" }).ok, true);
});

test("__sk_buff: narrow loads record the field's size; tc may write mark, cb and tc_classid", () => {
  const tc = verifierOpsFor("sched_cls");
  assert.deepEqual(tc.isValidAccess({ off: 8, size: 1, write: false }), { ok: true, type: "scalar", fieldSize: 4 });
  assert.equal(tc.isValidAccess({ off: 8, size: 4, write: true }).ok, true);
  assert.equal(tc.isValidAccess({ off: 0, size: 4, write: true }).ok, false, "len is read only");
  assert.deepEqual(tc.isValidAccess({ off: 168, size: 8, write: false }), { ok: true, type: "sock_common_or_null" });
  assert.equal(verifierOpsFor("cgroup_skb").isValidAccess({ off: 76, size: 4, write: false, privileged: false }).ok, false, "data needs CAP_BPF");
});

test("return ranges: cgroup_skb egress may say congestion, sock_addr recvmsg only 1, xdp anything", () => {
  assert.deepEqual(verifierOpsFor("cgroup_skb").returnRange("cgroup_inet_egress"), { min: 0, max: 3 });
  assert.deepEqual(verifierOpsFor("cgroup_skb").returnRange("cgroup_inet_ingress"), { min: 0, max: 1 });
  assert.deepEqual(verifierOpsFor("cgroup_sock_addr").returnRange("cgroup_udp4_recvmsg"), { min: 1, max: 1 });
  assert.equal(verifierOpsFor("xdp").returnRange(), undefined);
  assert.equal(returnCodeName("xdp", 2), "XDP_PASS");
  assert.equal(returnCodeName("sched_cls", 2), "TC_ACT_SHOT");
});

test("helpers: xdp may adjust its head, socket filters may not; unprivileged loads lose the CAP_BPF helpers", () => {
  const xdp = verifierOpsFor("xdp");
  assert.equal(xdp.helperAllowed(helperId("xdp_adjust_head")!), true);
  assert.equal(verifierOpsFor("socket_filter").helperAllowed(helperId("xdp_adjust_head")!), false);
  assert.equal(verifierOpsFor("socket_filter").helperAllowed(helperId("map_lookup_elem")!), true);
  assert.equal(verifierOpsFor("socket_filter").helperAllowed(helperId("spin_lock")!, undefined, false), false);
  assert.equal(verifierOpsFor("cgroup_sock_addr").helperAllowed(helperId("bind")!, "cgroup_inet4_connect"), true);
  assert.equal(verifierOpsFor("cgroup_sock_addr").helperAllowed(helperId("bind")!, "cgroup_inet4_bind"), false);
});

test("runs exist for the types BPF_PROG_TEST_RUN runs from packets", () => {
  for (const t of ["xdp", "socket_filter", "sched_cls", "sched_act", "cgroup_skb", "lwt_in", "lwt_out", "lwt_xmit"]) assert.ok(RUN_TYPES[t], t);
});

const VMLINUX = "/sys/kernel/btf/vmlinux";
test("context layouts match the running kernel's BTF, field by field", { skip: existsSync(VMLINUX) ? false : "no /sys/kernel/btf/vmlinux here" }, () => {
  const btf = parseBtf(new Uint8Array(readFileSync(VMLINUX)));
  const layouts = [L.XDP_MD, L.SK_BUFF, L.BPF_SOCK, L.BPF_SOCK_ADDR, L.BPF_SOCK_OPS, L.SK_MSG_MD, L.SK_REUSEPORT_MD, L.BPF_SK_LOOKUP, L.BPF_CGROUP_DEV_CTX, L.BPF_SYSCTL, L.BPF_SOCKOPT, L.BPF_NF_CTX, L.PT_REGS];
  for (const l of layouts) {
    const t = btf.byName(l.struct, "struct")[0];
    assert.ok(t && t.kind === "struct", l.struct);
    assert.equal(t.size, l.size, `sizeof(struct ${l.struct})`);
    for (const m of t.members) {
      // Anonymous unions (sock_ops' args/reply, sk_lookup's sk/cookie) and padding bitfields have no row of their own.
      if (!m.name || m.bitSize) continue;
      const f = l.fields.find((x) => x.name === m.name);
      if (!f) { assert.ok(["reply", "replylong", "cookie"].includes(m.name), `${l.struct}.${m.name} missing`); continue; }
      assert.equal(f.off * 8, m.bitOffset, `${l.struct}.${m.name}`);
    }
  }
});

const RECORDED = /kernel \(([^)]+)\)/.exec(readFileSync(new URL("../../src/programs/helper-sets.ts", import.meta.url), "utf8"))?.[1];
test("helper sets are what this kernel answers for every probed type and attach type", { skip: skip || (RECORDED !== release() ? `helper sets were recorded on ${RECORDED}, this is ${release()}` : false) }, async () => {
  const { probeHelperSets } = await import("../../scripts/gen-program-helpers.js");
  const probed = probeHelperSets();
  for (const p of HELPER_PROBES) {
    const key = p.attachType ? `${p.type}/${p.attachType}` : p.type;
    assert.deepEqual([...helpersFor(p.type, p.attachType)].sort(), [...probed[key]!].sort(), key);
  }
});
