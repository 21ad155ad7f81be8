/**
 * @fileoverview A map value's special fields as the kernel's btf_parse_fields finds them
 * (src/maps/value-fields.ts): kptrs by their type tags, spin locks, in the corpus objects'
 * map values (test/verifier/corpus, whose kernel verdicts rely on them).
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { valueFields } from "../../src/maps/value-fields.js";
import { openCorpus } from "../verifier/corpus/corpus.js";

function fieldsOf(object: string, map: string) {
  const spec = openCorpus(object);
  const m = spec.maps.find((x) => x.name === map);
  assert.ok(m && spec.btf && m.valueType !== undefined, `${object} has map ${map} with BTF`);
  return valueFields(spec.btf, m.valueType);
}

test("a referenced kptr to a kernel struct, after a plain u64", () => {
  const f = fieldsOf("task-stash.bpf.o", "watch");
  assert.deepEqual(f.kptrs?.map(({ offset, kind, struct }) => ({ offset, kind, struct })), [{ offset: 8, kind: "kptr", struct: "task_struct" }]);
  assert.equal(f.special, undefined);
});

test("a kptr to the program's own struct (a local kptr)", () => {
  const f = fieldsOf("task-stash.bpf.o", "lot");
  assert.deepEqual(f.kptrs?.map(({ offset, kind, struct }) => ({ offset, kind, struct })), [{ offset: 0, kind: "kptr", struct: "parked" }]);
});

test("referenced and unreferenced kptrs side by side", () => {
  const f = fieldsOf("bad-kptr.bpf.o", "slots");
  assert.deepEqual(f.kptrs?.map(({ offset, kind }) => ({ offset, kind })), [{ offset: 8, kind: "kptr" }, { offset: 16, kind: "kptr_untrusted" }]);
});

test("a spin lock is a special field with its offset, no kptr", () => {
  const f = fieldsOf("spin-lock-stats.bpf.o", openCorpus("spin-lock-stats.bpf.o").maps.find((m) => m.origin === "btf")!.name);
  assert.equal(typeof f.spinLockOffset, "number");
  assert.deepEqual(f.special?.map((s) => s.name), ["bpf_spin_lock"]);
  assert.equal(f.kptrs, undefined);
});
