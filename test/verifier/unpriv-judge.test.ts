/**
 * @fileoverview tsbpf's judge for a loader without CAP_BPF (`privileged: false`): what
 * bpf_prog_load and map_create refuse before any verifier runs. The kernel's side was compared
 * with `scripts/selftests-compare.ts --unpriv` (749 selftest programs it refuses so, tsbpf too).
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { openObject } from "../../src/cli/object.js";
import { verifyObject } from "../../src/object/verify.js";

const object = (name: string) => openObject(new Uint8Array(readFileSync(new URL(`./corpus/${name}`, import.meta.url).pathname)), name);

test("an unprivileged loader may not load an xdp program", async () => {
  const [v] = await verifyObject(object("bad-stale-pkt.bpf.o"), { engine: "tsbpf", privileged: false });
  assert.equal(v!.accepted, false);
  assert.match(v!.error!, /^EPERM: an unprivileged loader may load socket_filter and cgroup_skb programs only, not xdp/);
});

test("an unprivileged loader may not create an LRU hash", async () => {
  const spec = object("cgroup-skb-acct.bpf.o");
  const lru = { ...spec, maps: spec.maps.map((m) => (m.name === "bytes_by_proto" ? { ...m, type: "lru_hash" } : m)) };
  const verdicts = await verifyObject(lru, { engine: "tsbpf", privileged: false });
  for (const v of verdicts) assert.match(v.error ?? "", /^EPERM: an unprivileged loader may not create lru_hash map/, v.name);
});
