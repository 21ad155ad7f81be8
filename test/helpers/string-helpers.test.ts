/**
 * @fileoverview The text helpers: bpf_strtol and bpf_strtoul against the kernel on inputs
 * that exercise bases, signs, overflow and garbage; bpf_snprintf, bpf_strncmp,
 * bpf_trace_vprintk and bpf_seq_write against their documented semantics.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { installHelpers, seqOutput, traceOf } from "../../src/helpers/table.js";
import type { Instruction } from "../../src/isa/instruction.js";
import { createMap } from "../../src/maps/create.js";
import { HelperRegistry, Runtime } from "../../src/runtime/index.js";
import { add64Imm, call, lddw, mov64Imm, mov64Reg, readU64, skip, st, stx } from "../kernel/helpers.js";
import { bothWays } from "./differential.js";

const fp = (dst: number, off: number): Instruction[] => [mov64Reg(dst, 10), add64Imm(dst, off)];
const stackBytes = (off: number, text: string): Instruction[] => [...text].map((c, k) => st("b", 10, off + k, c.charCodeAt(0)));
const exit: Instruction = { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 };

const INPUTS: [string, number][] = [
  ["123", 0], ["  -42xyz", 10], ["0x1f", 0], ["0x1f", 16], ["1f", 16], ["017", 0], ["9", 8], ["", 10], ["-", 10],
  ["18446744073709551615", 10], ["18446744073709551616", 10], ["9223372036854775807", 10], ["9223372036854775808", 10],
  ["-9223372036854775808", 10], ["-9223372036854775809", 10], ["12", 7], ["12", 0x20 | 10], ["0x", 0], [" \t\n7", 10],
];

test("bpf_strtol and bpf_strtoul parse as the kernel's", { skip }, () => {
  for (const [text, flags] of INPUTS) {
    for (const id of [105, 106]) {
      // The text at fp-56 (at most 24 bytes); the result at fp-64, preset to a marker.
      const { kernel, runtime } = bothWays(() => [
        st("dw", 10, -64, 0x5a5a), ...stackBytes(-56, text),
        ...fp(1, -56), mov64Imm(2, Math.max(text.length, 1)), mov64Imm(3, flags), ...fp(4, -64), call(id), mov64Reg(7, 0),
      ], { type: "socket_filter", data: new Uint8Array(64) });
      const what = `${id === 105 ? "strtol" : "strtoul"}(${JSON.stringify(text)}, ${flags})`;
      assert.equal(runtime.retval, kernel.retval, `${what} returns`);
      assert.equal(readU64(runtime.out, 0), readU64(kernel.out, 0), `${what} stores`);
    }
  }
});

function runtime(): Runtime {
  return new Runtime({ helpers: installHelpers(new HelperRegistry()) });
}

/** A read-only array map holding `text`, and a program prologue loading its address into r<reg>. */
function rodata(rt: Runtime, text: string) {
  const map = createMap(rt.space, { type: "array", keySize: 4, valueSize: 64, maxEntries: 1, name: ".rodata" });
  const bytes = new Uint8Array(64);
  bytes.set(new TextEncoder().encode(text));
  map.set(new Uint8Array(4), bytes);
  return { address: (map as unknown as { valueAddress(i: number): number }).valueAddress(0), map };
}

test("bpf_snprintf formats up to twelve u64 arguments, truncates with a NUL and returns the full length", () => {
  const rt = runtime();
  const fmt = rodata(rt, "%d-%s-%llx");
  const prog = (size: number, result: "ret" | "text"): Instruction[] => [
    ...stackBytes(-16, "ab\0"),
    st("dw", 10, -40, -7), ...fp(1, -16), stx("dw", 10, -32, 1), st("dw", 10, -24, 0xbeef),
    st("dw", 10, -72, -1), st("dw", 10, -64, -1),
    ...fp(1, -72), mov64Imm(2, size), lddw(3, BigInt(fmt.address)), ...fp(4, -40), mov64Imm(5, 24), call(165),
    ...(result === "text" ? [{ opcode: 0x79, dst: 0, src: 10, off: -72, imm: 0 }] : []),
    exit,
  ];
  assert.equal(rt.load(prog(32, "ret")).runRaw().r0, BigInt("-7-ab-beef".length + 1));
  assert.equal(rt.load(prog(32, "text")).runRaw().r0, 0x2d62612d372dn | (0x62n << 48n) | (0x65n << 56n)); // "-7-ab-be"
  assert.equal(rt.load(prog(4, "ret")).runRaw().r0, 11n);
  assert.equal(rt.load(prog(4, "text")).runRaw().r0, 0xffffffff002d372dn); // "-7-" and its NUL, the rest untouched
  // More than twelve arguments, or a data length that is not a multiple of 8: -EINVAL.
  const bad = rt.load([...fp(1, -72), mov64Imm(2, 8), lddw(3, BigInt(fmt.address)), ...fp(4, -40), mov64Imm(5, 12), call(165), exit]).runRaw();
  assert.equal(bad.r0, BigInt.asUintN(64, -22n));
  fmt.map.close();
});

test("bpf_strncmp compares at most s1_sz bytes, as the kernel's strncmp: -1, 0 or 1", () => {
  const rt = runtime();
  const s2 = rodata(rt, "abcd");
  const cmp = (s1: string, n: number) =>
    BigInt.asIntN(64, rt.load([...stackBytes(-16, s1), ...fp(1, -16), mov64Imm(2, n), lddw(3, BigInt(s2.address)), call(182), exit]).runRaw().r0);
  assert.equal(cmp("abcd\0", 5), 0n);
  assert.equal(cmp("abcz", 4), 1n);
  assert.equal(cmp("abca", 4), -1n);
  assert.equal(cmp("abz", 2), 0n);
  assert.equal(cmp("ab\0", 3), -1n);
  s2.map.close();
});

test("bpf_trace_vprintk prints like trace_printk with an argument array; bpf_seq_write appends to the seq output", () => {
  const rt = runtime();
  const prog: Instruction[] = [
    ...stackBytes(-32, "n=%d m=%u\n\0"),
    st("dw", 10, -48, 5), st("dw", 10, -40, 6),
    ...fp(1, -32), mov64Imm(2, 11), ...fp(3, -48), mov64Imm(4, 16), call(177), mov64Reg(6, 0),
    mov64Imm(1, 0), ...fp(2, -32), mov64Imm(3, 3), call(127),
    mov64Reg(0, 6), exit,
  ];
  assert.equal(rt.load(prog).runRaw().r0, 8n);
  assert.deepEqual(traceOf(rt.space), ["n=5 m=6"]);
  assert.equal(seqOutput(rt.space, true), "n=%");
  assert.equal(seqOutput(rt.space), "");
});

/** Formats bpf_snprintf takes, with their u64 arguments; a number arg is a value, a string one is stack bytes passed by address. */
const FORMATS: [string, (bigint | string)[]][] = [
  ["%d %i %u %x %X", [-5n, 7n, 4294967295n, 255n, 255n]],
  ["%ld %lld %lu %llu %lx %llx", [-5n, -6n, 18446744073709551615n, 7n, 0xdeadbeefcafen, 0x1234n]],
  ["[%5d] [%-5d] [%05d] [%+d] [% d] [%x]", [42n, 42n, 42n, 42n, 42n, 0n]],
  ["%s and %s", ["hello", ""]],
  ["%c%c%c", [0x61n, 0x62n, 0x63n]],
  ["100%% %d", [3n]],
  ["%pI4 %pi4", ["\u000a\u0000\u0000\u0001", "\u00c0\u00a8\u0001\u0002"]],
  ["%px", [0x1234n]],
  ["%pI6", ["\u0020\u0001\u000d\u00b8\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0001"]],
  ["%pi6", ["\u0020\u0001\u000d\u00b8\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0001"]],
  ["%u %u %u %u %u %u %u %u %u %u %u %u", [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n, 12n]],
  ["%q", [1n]],
  ["%d %d", [1n]],
  ["%hd %hhd", [1n, 2n]],
  ["%5s|%-5s|", ["ab", "cd"]],
];

test("bpf_snprintf formats as the kernel's", { skip }, () => {
  const refused: string[] = [];
  for (const [fmt, args] of FORMATS) {
    // Strings at fp-200.., the u64 array at fp-104, the output (64 bytes) at fp-64.
    const body = (_map: unknown, rodata: (r: number) => Instruction): Instruction[] => {
      const out: Instruction[] = [];
      let at = -200;
      args.forEach((a, k) => {
        if (typeof a === "string") {
          out.push(...[...a, "\0"].map((c, j) => st("b", 10, at + j, c.charCodeAt(0))));
          out.push(...fp(1, at), stx("dw", 10, -104 + 8 * k, 1));
          at += 24;
        } else {
          out.push(lddw(1, a), stx("dw", 10, -104 + 8 * k, 1));
        }
      });
      return [...out, ...fp(1, -64), mov64Imm(2, 64), rodata(3), ...fp(4, -104), mov64Imm(5, 8 * args.length), call(165), mov64Reg(7, 0)];
    };
    let both;
    try {
      both = bothWays(body, { type: "socket_filter", data: new Uint8Array(64), rodata: new TextEncoder().encode(`${fmt}\0`) });
    } catch (e) {
      // The kernel's verifier checks a constant format at load; tsbpf's runtime says -EINVAL when it runs.
      assert.match(String(e), /Invalid format string/, fmt);
      refused.push(fmt);
      continue;
    }
    const { kernel, runtime } = both;
    const text = (b: Uint8Array) => new TextDecoder().decode(b.subarray(0, Math.max(b.indexOf(0), 0)));
    assert.equal(runtime.retval, kernel.retval, `${fmt}: returns (kernel printed "${text(kernel.out)}")`);
    assert.equal(text(runtime.out), text(kernel.out), fmt);
  }
  // What the kernel refuses at load, the runtime (which has no verifier yet) refuses with -EINVAL.
  assert.deepEqual(refused, ["%q", "%d %d", "%hd %hhd"]);
  for (const fmt of refused) {
    const rt = runtime();
    const f = rodata(rt, fmt);
    const r0 = rt.load([st("dw", 10, -8, 1), ...fp(1, -72), mov64Imm(2, 64), lddw(3, BigInt(f.address)), ...fp(4, -8), mov64Imm(5, 8), call(165), exit]).runRaw().r0;
    assert.equal(r0, BigInt.asUintN(64, -22n), fmt);
  }
});
