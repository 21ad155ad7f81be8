/**
 * @fileoverview The JIT as the default engine wherever WebAssembly exists: Runtime.load and
 * loadObject without an engine compile, `engine: "interp"` does not.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { loadObject, loadObjectSpec } from "../../src/object/index.js";
import { defaultEngine, Runtime } from "../../src/runtime/index.js";
import { asm } from "../runtime/util.js";

test("the default engine is the JIT here, and loads without an engine compile", async () => {
  assert.equal(defaultEngine(), "jit");
  const rt = new Runtime();
  assert.notEqual(rt.load(asm("r0 = 1\nexit")).jitCode, undefined);
  assert.equal(rt.load(asm("r0 = 1\nexit"), { engine: "interp" }).jitCode, undefined);
  const bytes = new Uint8Array(readFileSync(new URL("../../bench/progs/flow_table.bpf.o", import.meta.url)));
  const spec = loadObjectSpec(bytes, { name: "flow_table.bpf.o" });
  const obj = await loadObject(spec);
  try {
    assert.notEqual(obj.programs.get("flow_table")!.jitCode, undefined);
  } finally {
    obj.close();
  }
  const interp = await loadObject(spec, { engine: "interp" });
  try {
    assert.equal(interp.programs.get("flow_table")!.jitCode, undefined);
  } finally {
    interp.close();
  }
});
