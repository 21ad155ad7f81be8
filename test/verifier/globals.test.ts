/**
 * @fileoverview Global functions against the kernel: each is verified alone from its BTF
 * signature (pointer args maybe NULL, the ctx by its struct, scalars unknown), and calls are
 * checked against the signature; every case runs on the kernel too when bpf() works.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { BTF_KIND, buildBtf, INT32_TYPE, parseBtf, type RawBtfType } from "../../src/btf/index.js";
import { assemble } from "../../src/isa/assembler.js";
import { KernelBtf, KernelProgram, KernelVerifierError } from "../../src/kernel/index.js";
import { verifyProgram } from "../../src/verifier/index.js";
import { skip } from "../kernel/helpers.js";
import { readFileSync } from "node:fs";
import { openObject } from "../../src/cli/object.js";
import { kernelBtf } from "../../src/object/host.js";
import { verifyObject } from "../../src/object/verify.js";

const kernelBtfHere = kernelBtf();

// Type ids: 1 int, 2 struct pair {int a; int b;}, 3 pair *, 4 struct xdp_md, 5 xdp_md *,
// 6 proto int(xdp_md *), 7 FUNC main, 8 proto int(pair *, int), 9 FUNC f (global or static),
// 10 proto int(xdp_md *, int), 11 FUNC g.
function btfFor(fLinkage: number): Uint8Array {
  const types: RawBtfType[] = [
    INT32_TYPE,
    { name: "pair", kind: BTF_KIND.STRUCT, vlen: 2, sizeOrType: 8, extra: ["a", 1, 0, "b", 1, 32] },
    { kind: BTF_KIND.PTR, sizeOrType: 2 },
    { name: "xdp_md", kind: BTF_KIND.STRUCT, vlen: 1, sizeOrType: 4, extra: ["data", 1, 0] },
    { kind: BTF_KIND.PTR, sizeOrType: 4 },
    { kind: BTF_KIND.FUNC_PROTO, vlen: 1, sizeOrType: 1, extra: ["ctx", 5] },
    { name: "main", kind: BTF_KIND.FUNC, vlen: 1, sizeOrType: 6 },
    { kind: BTF_KIND.FUNC_PROTO, vlen: 2, sizeOrType: 1, extra: ["p", 3, "n", 1] },
    { name: "f", kind: BTF_KIND.FUNC, vlen: fLinkage, sizeOrType: 8 },
    { kind: BTF_KIND.FUNC_PROTO, vlen: 2, sizeOrType: 1, extra: ["ctx", 5, "n", 1] },
    { name: "g", kind: BTF_KIND.FUNC, vlen: 1, sizeOrType: 10 },
  ];
  return buildBtf(types).bytes;
}

interface GlobalCase {
  readonly name: string;
  /** main, then `f:` (pair *, int), optionally `g:` (xdp_md *, int). */
  readonly asm: string;
  /** BTF_FUNC_GLOBAL (1) or BTF_FUNC_STATIC (0) for f. */
  readonly linkage?: number;
  /** undefined: accepted. */
  readonly reject?: RegExp;
}

const CASES: readonly GlobalCase[] = [
  {
    name: "a global function dereferencing its pointer argument unchecked",
    asm: `r1 = r10\nr1 += -8\n*(u64 *)(r10 -8) = 0\nr2 = 1\ncall f\nr0 = 2\nexit\nf:\nr0 = *(u32 *)(r1 +0)\nexit`,
    reject: /R1 invalid mem access 'mem_or_null'/,
  },
  {
    name: "the same function static: verified inline with the caller's stack pointer",
    linkage: 0,
    asm: `r1 = r10\nr1 += -8\n*(u64 *)(r10 -8) = 0\nr2 = 1\ncall f\nr0 = 2\nexit\nf:\nr0 = *(u32 *)(r1 +0)\nexit`,
  },
  {
    name: "a global function checking its pointer argument, called with NULL",
    asm: `r1 = 0\nr2 = 1\ncall f\nr0 = 2\nexit\nf:\nr0 = 0\nif r1 == 0 goto out\nr0 = *(u32 *)(r1 +4)\nout:\nexit`,
  },
  {
    name: "a global function reading past its argument's pointee size",
    asm: `r1 = 0\nr2 = 1\ncall f\nr0 = 2\nexit\nf:\nr0 = 0\nif r1 == 0 goto out\nr0 = *(u32 *)(r1 +8)\nout:\nexit`,
    reject: /invalid access to memory, mem_size=8 off=8 size=4/,
  },
  {
    name: "the caller's result is an unknown scalar, not what the function returns",
    asm: `r1 = 0\nr2 = 1\ncall f\nif r0 != 0 goto bad\nr0 = 2\nexit\nbad:\nr0 = *(u32 *)(r1 +0)\nexit\nf:\nr0 = 0\nexit`,
    reject: /R1 !read_ok/,
  },
  {
    name: "a scalar argument given a pointer",
    asm: `r1 = 0\nr2 = r10\ncall f\nr0 = 2\nexit\nf:\nr0 = 0\nexit`,
    reject: /R2 is not a scalar[\s\S]*Caller passes invalid args into func#1 \('f'\)/,
  },
  {
    name: "a pointer argument to stack smaller than the pointee",
    asm: `*(u32 *)(r10 -4) = 0\nr1 = r10\nr1 += -4\nr2 = 1\ncall f\nr0 = 2\nexit\nf:\nr0 = 0\nexit`,
    reject: /invalid read from stack R1 off=-4 size=8[\s\S]*Caller passes invalid args into func#1 \('f'\)/,
  },
  {
    name: "a pointer argument to uninitialised stack (privileged: allowed)",
    asm: `r1 = r10\nr1 += -8\nr2 = 1\ncall f\nr0 = 2\nexit\nf:\nr0 = 0\nexit`,
  },
  {
    name: "a ctx argument typed by the program type's context struct",
    asm: `r2 = 1\ncall g\nr0 = 2\nexit\ng:\nr0 = *(u32 *)(r1 +12)\nexit`,
  },
  {
    name: "a ctx argument given the stack pointer",
    asm: `r1 = r10\nr2 = 1\ncall g\nr0 = 2\nexit\ng:\nr0 = 0\nexit`,
    reject: /arg#0 expects pointer to ctx[\s\S]*Caller passes invalid args into func#1 \('g'\)/,
  },
  {
    name: "a global function returning a pointer",
    asm: `r2 = 1\ncall g\nr0 = 2\nexit\ng:\nr0 = r1\nexit`,
    reject: /At subprogram exit the register R0 is not a scalar value \(ctx\)/,
  },
  {
    name: "the scalar argument is unknown inside the function",
    asm: `r2 = 1\ncall g\nr0 = 2\nexit\ng:\nr0 = 0\nif r2 == 1 goto out\nr0 = *(u32 *)(r3 +0)\nout:\nexit`,
    reject: /R3 !read_ok/,
  },
];

function build(c: GlobalCase) {
  const a = assemble(c.asm);
  const starts = [...a.labels.entries()].filter(([l]) => l === "f" || l === "g").sort((x, y) => x[1] - y[1]);
  const funcInfo = [{ insnOff: 0, typeId: 7 }, ...starts.map(([l, at]) => ({ insnOff: at, typeId: l === "f" ? 9 : 11 }))];
  return { instructions: [...a.instructions], funcInfo, btf: btfFor(c.linkage ?? 1) };
}

for (const c of CASES) {
  test(`global functions: ${c.name}`, () => {
    const { instructions, funcInfo, btf } = build(c);
    const r = verifyProgram({ instructions, funcInfo, license: "GPL" }, { type: "xdp", btf: parseBtf(btf) });
    if (!c.reject) assert.ok(r.accepted, `tsbpf rejected: ${r.error?.message}\n${r.log}`);
    else {
      assert.ok(!r.accepted, "tsbpf accepted");
      assert.match([...r.error!.detail, r.error!.message].join("\n"), c.reject);
    }
  });
}

test("the kernel agrees on the global function cases", { skip }, () => {
  const wrong: string[] = [];
  for (const c of CASES) {
    const { instructions, funcInfo, btf } = build(c);
    const kb = KernelBtf.load(btf);
    let log: string | undefined;
    try {
      KernelProgram.load({ type: "xdp", instructions, license: "GPL", logLevel: 1, btfFd: kb.fd, funcInfo }).close();
    } catch (e) {
      log = e instanceof KernelVerifierError ? e.log : (e as Error).message;
    } finally {
      kb.close();
    }
    if (!c.reject && log !== undefined) wrong.push(`${c.name}: the kernel rejects: ${log.trim().split("\n").slice(-3).join(" | ")}`);
    if (c.reject && log === undefined) wrong.push(`${c.name}: the kernel accepts`);
    if (c.reject && log !== undefined && !c.reject.test(log)) wrong.push(`${c.name}: the kernel says ${log.trim().split("\n").slice(-3).join(" | ")}`);
  }
  assert.deepEqual(wrong, []);
});

/** corpus/globals/trusted-args.bpf.c: `__arg_trusted` (and `__arg_nullable`) kernel struct pointers. */
const TRUSTED_ARGS: Record<string, RegExp | undefined> = {
  current_and_acquired: undefined,
  acquired_unchecked: /R1 type=ptr_or_null_ expected=ptr_, trusted_ptr_, rcu_ptr_[\s\S]*Caller passes invalid args into func#1 \('task_ids'\)/,
  null_to_nonnull: /R1 must be referenced or trusted[\s\S]*Caller passes invalid args into func#1 \('task_ids'\)/,
};

test("a trusted global argument takes the current task or an acquired one, NULL only where nullable", { skip: kernelBtfHere ? false : "needs /sys/kernel/btf/vmlinux" }, async () => {
  const path = new URL("./corpus/globals/trusted-args.bpf.o", import.meta.url).pathname;
  const spec = openObject(new Uint8Array(readFileSync(path)), "trusted-args.bpf.o");
  const ours = await verifyObject(spec, { engine: "tsbpf", targetBtf: kernelBtfHere! });
  const theirs = skip ? [] : await verifyObject(spec, { engine: "kernel", targetBtf: kernelBtfHere! });
  assert.deepEqual(ours.map((v) => v.name).sort(), Object.keys(TRUSTED_ARGS).sort());
  for (const v of [...ours, ...theirs]) {
    const want = TRUSTED_ARGS[v.name];
    if (!want) assert.ok(v.accepted, `${v.name}: ${v.error}`);
    else assert.match(`${v.log ?? ""}\n${v.error ?? ""}`, want, v.name);
  }
});
