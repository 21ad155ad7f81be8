/**
 * @fileoverview The helper prototype table's shape: a row for every id of enum bpf_func_id
 * with the kernel's name, and rows that obey the rules the kernel's check_func_proto
 * enforces on its own protos (sizes follow memory, one callback, releases and acquires).
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { HELPER_NAMES } from "../../src/helpers/names.js";
import { HELPER_PROTOS, helperProto } from "../../src/helpers/protos.js";

const SIZE_KINDS = new Set(["const_size", "const_size_or_zero"]);

test("every helper id has a row with the kernel's name", () => {
  assert.equal(HELPER_PROTOS.length, HELPER_NAMES.length);
  assert.equal(HELPER_PROTOS[0], undefined);
  for (let id = 1; id < HELPER_NAMES.length; id++) {
    const p = helperProto(id);
    assert.ok(p, `no row for helper ${id}`);
    assert.equal(p.id, id);
    assert.equal(p.name, HELPER_NAMES[id]);
    assert.ok(p.args.length <= 5, `${p.name} has ${p.args.length} arguments`);
  }
  assert.equal(helperProto(0), undefined);
  assert.equal(helperProto(HELPER_NAMES.length), undefined);
  assert.equal(helperProto(1.5), undefined);
  assert.equal(helperProto(1)?.name, "map_lookup_elem");
  assert.equal(helperProto(181)?.callbackArg, 1);
});

test("a size argument always follows the memory it measures (check_arg_pair_ok)", () => {
  for (const p of HELPER_PROTOS) {
    if (!p) continue;
    p.args.forEach((a, i) => {
      if (SIZE_KINDS.has(a.kind)) {
        const before = p.args[i - 1];
        assert.ok(before && before.kind === "ptr_to_mem" && before.fixedSize === undefined, `${p.name}: arg${i + 1} is a size with no memory before it`);
      }
      if (a.kind === "ptr_to_mem" && a.fixedSize === undefined) {
        const after = p.args[i + 1];
        assert.ok(after && SIZE_KINDS.has(after.kind), `${p.name}: arg${i + 1} is memory with no size after it`);
      }
      if (a.kind === "const_alloc_size_or_zero") assert.ok(p.ret.kind === "ptr_to_mem", `${p.name}: an allocation size, but no memory returned`);
    });
  }
});

test("callbacks, releases and map arguments are where the kernel puts them", () => {
  for (const p of HELPER_PROTOS) {
    if (!p) continue;
    const funcs = p.args.flatMap((a, i) => (a.kind === "ptr_to_func" ? [i] : []));
    assert.ok(funcs.length <= 1, `${p.name}: more than one callback`);
    assert.equal(p.callbackArg, funcs[0], `${p.name}: callbackArg`);
    assert.ok(p.args.filter((a) => a.release).length <= 1, `${p.name}: releases more than one reference`);
    const keyOrValue = p.args.findIndex((a) => a.kind === "ptr_to_map_key" || (a.kind === "ptr_to_map_value" && !a.maybeNull));
    if (keyOrValue >= 0) assert.ok(p.args.slice(0, keyOrValue).some((a) => a.kind === "const_map_ptr"), `${p.name}: a key or value with no map before it`);
    if (p.ret.kind === "ptr_to_map_value") assert.equal(p.args[0]?.kind, "const_map_ptr", `${p.name}: a map value from no map`);
  }
});
