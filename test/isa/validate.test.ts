import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidInstructionError } from "../../src/errors.js";
import { decode, validate, validateInstruction } from "../../src/isa/validate.js";
import { decodeRaw, encode, insn } from "../../src/isa/instruction.js";
import { formOf } from "../../src/isa/table.js";
import { ALL_SAMPLES } from "./samples.js";

/** The error a single instruction (at slot `index`) is rejected with. */
function rejection(i: ReturnType<typeof insn>, index = 0): InvalidInstructionError {
  try {
    validateInstruction(i, index);
  } catch (e) {
    assert.ok(e instanceof InvalidInstructionError, `expected InvalidInstructionError, got ${e}`);
    return e;
  }
  assert.fail(`accepted ${JSON.stringify(i, (_, v) => (typeof v === "bigint" ? String(v) : v))}`);
}

test("every sample of every form is valid and is its own form", () => {
  for (const { form, insn: i } of ALL_SAMPLES) {
    assert.equal(validateInstruction(i, 0).id, form.id);
  }
});

test("exactly the kernel's opcodes are defined", () => {
  // Every byte that names an instruction, from the uapi encoding (RFC 9669 + kernel).
  const defined = new Set<number>();
  for (let op = 0; op < 256; op++) if (formOf({ opcode: op, src: 0, off: 0, imm: 16 }) || formOf({ opcode: op, src: 0, off: 0, imm: 0 })) defined.add(op);
  const expected = [
    // ALU and ALU64, K and X, every operation
    ...[0x04, 0x07].flatMap((c) => [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0].flatMap((o) => [c | o, c | o | 8])),
    0x84, 0x87, 0xd4, 0xdc, 0xd7,
    // jumps
    0x05, 0x06, 0x85, 0x95, 0xe5,
    ...[0x05, 0x06].flatMap((c) => [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0].flatMap((o) => [c | o, c | o | 8])),
    // loads and stores
    0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50,
    0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91,
    0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b,
    0xc3, 0xdb, 0xcb, 0xd3,
  ];
  // 0xcb and 0xd3 (8/16-bit atomics) exist only as load-acquire/store-release.
  defined.add(0xcb).add(0xd3);
  assert.deepEqual([...defined].sort((a, b) => a - b), [...new Set(expected)].sort((a, b) => a - b));
});

test("an unknown opcode is rejected with its number and index", () => {
  for (const op of [0x00, 0x8c, 0x8f, 0x38, 0x99, 0xdf, 0xe6, 0xf5, 0xff, 0x8d, 0x66 & 0x00]) {
    const e = rejection(insn(op, 0, 0, 0, 0), 7);
    assert.equal(e.index, 7);
    assert.match(e.message, new RegExp(`^insn 7: unknown opcode ${op.toString(16).padStart(2, "0")}$`));
  }
});

test("reserved fields must be zero, and the message names them", () => {
  const cases: [ReturnType<typeof insn>, RegExp][] = [
    [insn(0x07, 1, 2, 0, 1), /BPF_ALU uses reserved fields \(src r2 must be 0\)/],         // add with K and a src
    [insn(0x0f, 1, 2, 0, 5), /BPF_ALU uses reserved fields \(imm 5 must be 0\)/],          // add with X and an imm
    [insn(0x07, 1, 0, 3, 1), /BPF_ALU uses reserved fields \(off 3 selects no instruction/], // off on add
    [insn(0xbf, 1, 2, 64, 0), /BPF_MOV uses reserved fields \(off 64 selects no/],           // movsx of 64 bits
    [insn(0xbc, 1, 2, 32, 0), /BPF_MOV uses reserved fields/],                               // 32-bit movsx of 32
    [insn(0x84, 1, 0, 0, 1), /BPF_NEG uses reserved fields \(imm 1 must be 0\)/],
    [insn(0xd4, 1, 0, 0, 8), /BPF_END uses reserved fields \(imm 8 selects no/],
    [insn(0x05, 1, 0, 1, 0), /BPF_JA uses reserved fields \(dst r1 must be 0\)/],
    [insn(0x05, 0, 0, 1, 4), /BPF_JA uses reserved fields \(imm 4 must be 0\)/],
    [insn(0x06, 0, 0, 1, 4), /BPF_JA uses reserved fields \(off 1 must be 0\)/],
    [insn(0x85, 0, 3, 0, 1), /BPF_CALL uses reserved fields \(src 3 selects no/],
    [insn(0x85, 1, 0, 0, 1), /BPF_CALL uses reserved fields \(dst r1 must be 0\)/],
    [insn(0x85, 0, 0, 2, 1), /BPF_CALL uses reserved fields \(off 2 must be 0\)/],
    [insn(0x95, 0, 0, 0, 1), /BPF_EXIT uses reserved fields \(imm 1 must be 0\)/],
    [insn(0xe5, 0, 0, 1, 1), /may_goto uses reserved fields \(imm 1 must be 0\)/],
    [insn(0x15, 1, 2, 1, 0), /BPF_JMP\/JMP32 uses reserved fields \(src r2 must be 0\)/],
    [insn(0x1d, 1, 2, 1, 9), /BPF_JMP\/JMP32 uses reserved fields \(imm 9 must be 0\)/],
    [insn(0x61, 1, 2, 0, 1), /BPF_LDX uses reserved fields \(imm 1 must be 0\)/],
    [insn(0x62, 1, 2, 0, 1), /BPF_ST uses reserved fields \(src r2 must be 0\)/],
    [insn(0x63, 1, 2, 0, 1), /BPF_STX uses reserved fields \(imm 1 must be 0\)/],
    [insn(0x20, 1, 0, 0, 1), /BPF_LD_\[ABS\|IND\] uses reserved fields \(dst r1 must be 0\)/],
    [insn(0x20, 0, 1, 0, 1), /BPF_LD_\[ABS\|IND\] uses reserved fields \(src r1 must be 0\)/],
    [insn(0x18, 1, 0, 1, 0n), /BPF_LD_IMM64 uses reserved fields \(off 1 must be 0\)/],
    [insn(0x18, 1, 7, 0, 0n), /unrecognized bpf_ld_imm64 insn \(src 7\)/],
    [insn(0xdb, 1, 2, 0, 0x02), /BPF_ATOMIC uses invalid atomic opcode 0x2/],
    [insn(0xd3, 1, 2, 0, 0x01), /BPF_ATOMIC uses invalid atomic opcode 0x1/],               // fetch-add on 8 bits
  ];
  for (const [i, message] of cases) assert.match(rejection(i).message, message);
});

test("registers above r10 are invalid, and r10 is never written", () => {
  assert.match(rejection(insn(0xbf, 11, 1, 0, 0)).message, /R11 is invalid/);
  assert.match(rejection(insn(0xbf, 1, 15, 0, 0)).message, /R15 is invalid/);
  assert.match(rejection(insn(0x61, 1, 12, 0, 0)).message, /R12 is invalid/);
  for (const i of [insn(0xb7, 10, 0, 0, 1), insn(0x61, 10, 1, 0, 0), insn(0x18, 10, 0, 0, 1n), insn(0xdb, 1, 10, 0, 0x01), insn(0xdb, 1, 10, 0, 0xe1), insn(0xdb, 10, 1, 0, 0x100)]) {
    assert.match(rejection(i).message, /frame pointer is read only/);
  }
  // A store through r10 and a read of r10 are fine.
  validateInstruction(insn(0x7b, 10, 1, -8, 0), 0);
  validateInstruction(insn(0xbf, 1, 10, 0, 0), 0);
  validateInstruction(insn(0xdb, 10, 1, -8, 0x00), 0);
});

test("a 64-bit load without its second slot is rejected where it stands", () => {
  const bytes = encode([insn(0xb7, 0, 0, 0, 0), insn(0x18, 1, 0, 0, 5n)]).slice(0, 16);
  assert.throws(() => decodeRaw(bytes), (e: unknown) => e instanceof InvalidInstructionError && e.index === 1 && /second slot is missing/.test(e.message));
  const bad = encode([insn(0x18, 1, 0, 0, 5n)]);
  bad[8] = 0x07; // the second slot must have opcode 0
  assert.throws(() => decodeRaw(bad), /insn 0: invalid bpf_ld_imm64 insn: the second slot must have opcode, registers and offset zero/);
  bad[8] = 0; bad[9] = 0x01; // ... and no registers
  assert.throws(() => decodeRaw(bad), /insn 0: invalid bpf_ld_imm64 insn/);
});

test("bytecode that is not whole slots is rejected", () => {
  assert.throws(() => decodeRaw(new Uint8Array(12)), /bytecode length 12 is not a multiple of 8/);
});

test("validation errors count slots, so a 64-bit load moves the index by two", () => {
  const program = [insn(0x18, 1, 0, 0, 1n), insn(0xb7, 0, 0, 0, 0), insn(0xff, 0, 0, 0, 0)];
  assert.throws(() => validate(program), /insn 3: unknown opcode ff/);
  assert.throws(() => decode(encode(program)), /insn 3: unknown opcode ff/);
});

test("decode reads little- and big-endian bytecode alike", () => {
  const program = [insn(0xbf, 1, 2, 0, 0), insn(0x18, 3, 0, 0, 0x1122334455667788n), insn(0x7b, 10, 1, -8, 0), insn(0x95, 0, 0, 0, 0)];
  for (const littleEndian of [true, false]) {
    const bytes = encode(program, { littleEndian });
    assert.deepEqual(decode(bytes, { littleEndian }), program);
  }
  assert.deepEqual([...encode([insn(0xbf, 1, 2, -2, 0x01020304)], { littleEndian: false })], [0xbf, 0x12, 0xff, 0xfe, 1, 2, 3, 4]);
  assert.deepEqual([...encode([insn(0xbf, 1, 2, -2, 0x01020304)])], [0xbf, 0x21, 0xfe, 0xff, 4, 3, 2, 1]);
});
