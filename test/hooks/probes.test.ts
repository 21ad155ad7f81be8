/**
 * Function probes on builtin module functions: the entry probe sees the arguments as typed
 * slots (a string's bytes and length), the return probe an async function's result and
 * duration once its promise settles; detached, the function is the original again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attach, loadHooks, resolveTarget } from "../../src/hooks/node/index.js";

test("fentry/fs.readFileSync and fexit/fs.promises.readFile see arguments, results and durations", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-probe-"));
  const file = join(dir, "data.bin");
  writeFileSync(file, Buffer.alloc(1234, 7));
  const original = fs.readFileSync;
  const o = loadHooks(fs.readFileSync(new URL("./progs/probes.bpf.o", import.meta.url)));
  const links = [...o.programs.values()].map((p) => attach(p));
  try {
    assert.notEqual(fs.readFileSync, original);
    fs.readFileSync(file, "utf8");
    fs.readFileSync(file);
    const t0 = performance.now();
    const data = await fs.promises.readFile(file, { flag: "r" });
    const took = (performance.now() - t0) * 1e6;
    assert.equal(data.length, 1234);
    const seen = o.maps.get("seen")!;
    const a = seen.get(new Uint8Array(4))!;
    const v = new DataView(a.buffer, a.byteOffset);
    assert.equal(v.getBigUint64(0, true), 2n, "two sync calls");
    assert.equal(v.getUint32(16, true), 1, "nargs of the last call");
    assert.equal(v.getUint32(20, true), 3, "args[0] is a string");
    assert.equal(v.getUint32(24, true), file.length);
    assert.equal(v.getUint32(28, true), 0, "args[1] undefined in the last call");
    assert.equal(Buffer.from(a.subarray(32, 32 + file.length)).toString(), file.slice(0, 63));
    const r = seen.get(new Uint8Array([1, 0, 0, 0]))!;
    const w = new DataView(r.buffer, r.byteOffset);
    assert.equal(w.getBigUint64(8, true), 1n, "one async return");
    const dur = Number(w.getBigUint64(96, true));
    assert.ok(dur > 0 && dur <= took, `duration ${dur} ns within the ${took} ns the caller measured`);
    assert.equal(w.getUint32(104, true), 4, "the result is a buffer");
    assert.equal(w.getUint32(108, true), 1234, "of 1234 bytes");
    assert.equal(w.getUint32(112, true), 0, "not thrown");
    for (const p of o.programs.values()) assert.equal(p.faults, 0, String(p.lastFault));
  } finally {
    for (const l of links) l.detach();
    o.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(fs.readFileSync, original, "detached: the original function is back");
});

test("probe targets resolve modules and globals, and bad ones say why", () => {
  assert.equal(resolveTarget("fs.promises.readFile").obj, fs.promises);
  assert.equal(resolveTarget("globalThis.fetch").prop, "fetch");
  assert.throws(() => resolveTarget("fs.nope"), /probe target fs.nope: not a function/);
  assert.throws(() => resolveTarget("no-such-module-xyz.fn"), /cannot load module no-such-module-xyz/);
  assert.throws(() => resolveTarget("fs"), /name a function/);
});
