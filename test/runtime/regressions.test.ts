/**
 * @fileoverview Disagreements the fuzzer once found (saved by scripts/fuzz.ts as
 * regressions/*.json, with the kernel's answer), replayed on the interpreter.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { decodeRaw } from "../../src/isa/instruction.js";
import { Runtime } from "../../src/runtime/index.js";
import { hex64 } from "./util.js";

const dir = new URL("./regressions/", import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();

const bytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));

for (const f of files) {
  test(`regression ${f}`, () => {
    const c = JSON.parse(readFileSync(new URL(f, dir), "utf8")) as { program: string; memory: string; kernel: { r0: string; memory: string } };
    const rt = new Runtime();
    for (const mode of ["checked", "fast"] as const) {
      const r = rt.load(decodeRaw(bytes(c.program)), { mode }).runRaw(bytes(c.memory));
      assert.equal(hex64(r.r0), c.kernel.r0, `${mode} r0`);
      assert.equal(Buffer.from(r.memory).toString("hex"), c.kernel.memory, `${mode} memory`);
    }
  });
}

test("regression files parse", () => {
  assert.ok(files.length >= 0);
});
