/**
 * @fileoverview bpf_trace_printk's formatting, with the strings the kernel prints for the
 * same formats (bstr_printf's rules: 32-bit arguments without `l`, %p as 16 hex digits),
 * and the helper end to end in a runtime.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { formatPrintk } from "../../src/helpers/printk.js";
import { installHelpers, traceOf } from "../../src/helpers/table.js";
import { insn } from "../../src/isa/instruction.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";

const fmt = (f: string, ...args: (bigint | number)[]) =>
  formatPrintk(f, { arg: (i) => BigInt.asUintN(64, BigInt(args[i] ?? 0)), string: (a) => (a === 0x1000n ? "eth0" : undefined) });

test("integers print as the kernel prints them", () => {
  assert.equal(fmt("ifindex %u count %llu", 1, 7), "ifindex 1 count 7");
  assert.equal(fmt("%d %i", -1, 0xffffffff), "-1 -1");
  assert.equal(fmt("%u", -1), "4294967295");
  assert.equal(fmt("%ld %lu", -1, -1), "-1 18446744073709551615");
  assert.equal(fmt("%lld %llu", -5n, 5n), "-5 5");
  assert.equal(fmt("%x %lx %llx", 0x1234abcd5678n, 0x1234abcd5678n, -1), "abcd5678 1234abcd5678 ffffffffffffffff");
  assert.equal(fmt("%X", 255), "FF");
  assert.equal(fmt("%08x|%-4d|%4d|", 0xbeef, 7, 7), "0000beef|7   |   7|");
  assert.equal(fmt("%+d|%05d", 7, -42), "+7|-0042");
  assert.equal(fmt("100%% done"), "100% done");
});

test("%c, %s and %p", () => {
  assert.equal(fmt("%c%c", 0x68, 0x69), "hi");
  assert.equal(fmt("dev %s.", 0x1000), "dev eth0.");
  assert.equal(fmt("dev %s.", 0x2000), "dev .");
  assert.equal(fmt("%p", 0xffff888003f4c000n), "ffff888003f4c000");
  assert.equal(fmt("%p", 0x10010), "0000000000010010");
});

test("what the kernel refuses is undefined (-EINVAL)", () => {
  assert.equal(fmt("%d %d %d %d", 1, 2, 3, 4), undefined); // more than three arguments
  assert.equal(fmt("%f", 1), undefined);
  assert.equal(fmt("%lllx", 1), undefined);
  assert.equal(fmt("%"), undefined);
  assert.equal(fmt("%ls", 1), undefined);
});

test("bpf_trace_printk writes a line to the runtime's trace and returns its length", () => {
  const rt = new Runtime({ helpers: installHelpers(new HelperRegistry()) });
  const text = "n=%d\n\0";
  const bytes = new TextEncoder().encode(text);
  // The format on the stack, then trace_printk(fp - len, len, 42).
  const prog = [];
  for (let i = 0; i < bytes.length; i++) prog.push(insn(0x72, 10, 0, -bytes.length + i, bytes[i]!)); // *(u8 *)(r10 - k) = c
  prog.push(insn(0xbf, 1, 10, 0, 0), insn(0x07, 1, 0, 0, -bytes.length), insn(0xb7, 2, 0, 0, bytes.length), insn(0xb7, 3, 0, 0, 42), insn(0x85, 0, 0, 0, 6), insn(0x95, 0, 0, 0, 0));
  const r = rt.load(prog).runRaw();
  assert.equal(r.r0, 5n);
  assert.deepEqual(traceOf(rt.space), ["n=42"]);
  // No NUL within fmt_size: -EINVAL, nothing printed.
  const bad = rt.load([insn(0x72, 10, 0, -1, 0x41), insn(0xbf, 1, 10, 0, 0), insn(0x07, 1, 0, 0, -1), insn(0xb7, 2, 0, 0, 1), insn(0x85, 0, 0, 0, 6), insn(0x95, 0, 0, 0, 0)]).runRaw();
  assert.equal(bad.r0, BigInt.asUintN(64, -22n));
  assert.equal(traceOf(rt.space).length, 1);
});
