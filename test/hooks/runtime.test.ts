/**
 * Runtime tracepoints and the sampling hook: GC pauses forced with --expose-gc's gc() (or
 * allocation), module loads, warnings, loop delay, and sampled JS stacks filed by
 * bpf_get_stackid whose frames name the function that was running.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { attach, jsFrameName, loadHooks, perfSettled, setFlushMs } from "../../src/hooks/node/index.js";

const obj = () => readFileSync(new URL("./progs/runtime.bpf.o", import.meta.url));
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const stat = (o: ReturnType<typeof loadHooks>, ev: number) => {
  const b = o.maps.get("stats")!.get(u32(ev))!;
  const v = new DataView(b.buffer, b.byteOffset);
  const name = b.subarray(16);
  return { count: Number(v.getBigUint64(0, true)), sum: Number(v.getBigUint64(8, true)), name: Buffer.from(name.subarray(0, name.indexOf(0))).toString() };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("gc, module loads, warnings and loop delay reach their programs", async () => {
  const o = loadHooks(obj());
  const links = ["on_gc", "on_delay", "on_module", "on_warning", "on_async"].map((n) => attach(o.program(n)));
  try {
    let keep: unknown[] = [];
    for (let i = 0; i < 200; i++) keep.push(new Array(10_000).fill(i));
    keep = [];
    createRequire(import.meta.url)("node:zlib");
    process.emitWarning("tsbpf test warning", "TsbpfWarning");
    const t0 = performance.now();
    while (performance.now() - t0 < 40) { /* block the loop */ }
    await sleep(60);
    const gc = stat(o, 1);
    assert.ok(gc.count >= 1 && gc.sum > 0, `gc events ${gc.count}, pause ${gc.sum} ns`);
    const delay = stat(o, 2);
    assert.ok(delay.count >= 1 && delay.sum >= 20_000_000, `loop delay samples ${delay.count}, total ${delay.sum} ns after blocking 40 ms`);
    const mod = stat(o, 7);
    assert.ok(mod.count >= 1 && mod.name !== "", `module loads ${mod.count}, last ${mod.name}`);
    assert.deepEqual([stat(o, 6).count, stat(o, 6).name], [1, "TsbpfWarning: tsbpf test warning"]);
    const asyncInit = stat(o, 3);
    assert.ok(asyncInit.count >= 1 && asyncInit.name !== "", `async inits ${asyncInit.count}, last ${asyncInit.name}`);
    void keep;
  } finally {
    for (const l of links) l.detach();
  }
  const before = stat(o, 7).count;
  createRequire(import.meta.url)("node:dns");
  assert.equal(stat(o, 7).count, before, "detached: no more module loads counted");
  o.close();
});

function busyNamedSpinner(ms: number): number {
  let x = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) x += Math.sqrt(x + 1);
  return x;
}

test("the sampling hook files JS stacks in a stack map, named by frame", async () => {
  setFlushMs(100);
  const o = loadHooks(obj());
  const link = attach(o.program("on_sample"));
  await sleep(50);
  busyNamedSpinner(300);
  link.detach();
  await perfSettled();
  const samples = o.maps.get("samples")!;
  const stacks = o.maps.get("stacks")!;
  let total = 0, inSpinner = 0;
  for (let k = samples.nextKey(); k; k = samples.nextKey(k)) {
    const n = Number(new DataView(samples.get(k)!.buffer).getBigUint64(0, true));
    total += n;
    const frames = stacks.get(k)!;
    const v = new DataView(frames.buffer, frames.byteOffset);
    const names: string[] = [];
    for (let i = 0; i < frames.length / 8 && v.getBigUint64(i * 8, true) !== 0n; i++) names.push(jsFrameName(v.getBigUint64(i * 8, true)) ?? "?");
    if (names.some((f) => f.startsWith("busyNamedSpinner "))) inSpinner += n;
  }
  // 300 ms at 999 Hz: about 300 samples, most of them in the spinner.
  assert.ok(total >= 50, `samples ${total}`);
  assert.ok(inSpinner >= total / 2, `${inSpinner} of ${total} samples in busyNamedSpinner`);
  o.close();
});
