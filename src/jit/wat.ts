/**
 * @fileoverview The text form of the modules the JIT emits, for people who want to see what
 * runs: imports, exports and every function body, one instruction a line, indented by block.
 * It reads the subset of the binary format wasm.ts writes.
 */

/** Instruction names by opcode, with the kind of their immediates. */
const NAMES: Record<number, [string, "" | "u32" | "s32" | "s64" | "mem" | "block" | "table" | "call_indirect"]> = {
  0x00: ["unreachable", ""], 0x01: ["nop", ""], 0x02: ["block", "block"], 0x03: ["loop", "block"], 0x04: ["if", "block"],
  0x05: ["else", ""], 0x0b: ["end", ""], 0x0c: ["br", "u32"], 0x0d: ["br_if", "u32"], 0x0e: ["br_table", "table"],
  0x0f: ["return", ""], 0x10: ["call", "u32"], 0x11: ["call_indirect", "call_indirect"], 0x1a: ["drop", ""], 0x1b: ["select", ""],
  0x20: ["local.get", "u32"], 0x21: ["local.set", "u32"], 0x22: ["local.tee", "u32"], 0x23: ["global.get", "u32"], 0x24: ["global.set", "u32"],
  0x28: ["i32.load", "mem"], 0x29: ["i64.load", "mem"], 0x2c: ["i32.load8_s", "mem"], 0x2d: ["i32.load8_u", "mem"],
  0x2e: ["i32.load16_s", "mem"], 0x2f: ["i32.load16_u", "mem"], 0x30: ["i64.load8_s", "mem"], 0x31: ["i64.load8_u", "mem"],
  0x32: ["i64.load16_s", "mem"], 0x33: ["i64.load16_u", "mem"], 0x34: ["i64.load32_s", "mem"], 0x35: ["i64.load32_u", "mem"],
  0x36: ["i32.store", "mem"], 0x37: ["i64.store", "mem"], 0x3a: ["i32.store8", "mem"], 0x3b: ["i32.store16", "mem"],
  0x3c: ["i64.store8", "mem"], 0x3d: ["i64.store16", "mem"], 0x3e: ["i64.store32", "mem"], 0x41: ["i32.const", "s32"], 0x42: ["i64.const", "s64"],
};
const CMP = ["eqz", "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"];
CMP.forEach((n, k) => { NAMES[0x45 + k] = [`i32.${n}`, ""]; NAMES[0x50 + k] = [`i64.${n}`, ""]; });
const ARITH = ["add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr"];
ARITH.forEach((n, k) => { NAMES[0x6a + k] = [`i32.${n}`, ""]; NAMES[0x7c + k] = [`i64.${n}`, ""]; });
Object.assign(NAMES, {
  0xa7: ["i32.wrap_i64", ""], 0xac: ["i64.extend_i32_s", ""], 0xad: ["i64.extend_i32_u", ""],
  0xc0: ["i32.extend8_s", ""], 0xc1: ["i32.extend16_s", ""], 0xc2: ["i64.extend8_s", ""], 0xc3: ["i64.extend16_s", ""], 0xc4: ["i64.extend32_s", ""],
});
const ATOMICS: Record<number, string> = {
  0x1e: "i32.atomic.rmw.add", 0x1f: "i64.atomic.rmw.add", 0x2c: "i32.atomic.rmw.and", 0x2d: "i64.atomic.rmw.and",
  0x33: "i32.atomic.rmw.or", 0x34: "i64.atomic.rmw.or", 0x3a: "i32.atomic.rmw.xor", 0x3b: "i64.atomic.rmw.xor",
  0x41: "i32.atomic.rmw.xchg", 0x42: "i64.atomic.rmw.xchg", 0x48: "i32.atomic.rmw.cmpxchg", 0x49: "i64.atomic.rmw.cmpxchg",
};
const TYPES: Record<number, string> = { 0x7f: "i32", 0x7e: "i64", 0x7c: "f64", 0x70: "funcref" };

/** The module in WebAssembly's text format (folded names, one instruction a line). */
export function toWat(bytes: Uint8Array): string {
  let at = 8;
  const byte = () => bytes[at++]!;
  const u32 = () => { let r = 0, s = 0, b; do { b = byte(); r += (b & 0x7f) * 2 ** s; s += 7; } while (b & 0x80); return r; };
  const s64 = () => {
    let r = 0n, s = 0n, b;
    do { b = byte(); r |= BigInt(b & 0x7f) << s; s += 7n; } while (b & 0x80);
    return s < 64n && (b & 0x40) ? r - (1n << s) : BigInt.asIntN(64, r);
  };
  const name = () => { const n = u32(); const s = new TextDecoder().decode(bytes.subarray(at, at + n)); at += n; return s; };
  const out: string[] = ["(module"];
  const types: string[] = [];
  let imported = 0;
  const funcTypes: number[] = [];
  while (at < bytes.length) {
    const id = byte(), size = u32(), end = at + size;
    if (id === 1) {
      for (let n = u32(); n > 0; n--) {
        byte();
        const params = Array.from({ length: u32() }, () => TYPES[byte()]);
        const results = Array.from({ length: u32() }, () => TYPES[byte()]);
        types.push(`(param ${params.join(" ")}) (result ${results.join(" ")})`.replace(" (result )", "").replace("(param ) ", ""));
      }
    } else if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        const mod = name(), field = name(), kind = byte();
        if (kind === 0) out.push(`  (import "${mod}" "${field}" (func $${field} (type ${u32()}))) ;; func ${imported++}`);
        else if (kind === 1) { byte(); byte(); u32(); out.push(`  (import "${mod}" "${field}" (table funcref))`); }
        else if (kind === 2) { const f = byte(); u32(); if (f & 1) u32(); out.push(`  (import "${mod}" "${field}" (memory))`); }
        else { const t = TYPES[byte()]; const m = byte(); out.push(`  (import "${mod}" "${field}" (global ${m ? `(mut ${t})` : t}))`); }
      }
    } else if (id === 3) {
      for (let n = u32(); n > 0; n--) funcTypes.push(u32());
    } else if (id === 7) {
      for (let n = u32(); n > 0; n--) { const f = name(); byte(); out.push(`  (export "${f}" (func ${u32()}))`); }
    } else if (id === 10) {
      const count = u32();
      for (let f = 0; f < count; f++) {
        const bodyEnd = u32() + at;
        const locals: string[] = [];
        for (let n = u32(); n > 0; n--) { const k = u32(); const t = TYPES[byte()]!; for (let j = 0; j < k; j++) locals.push(t); }
        out.push(`  (func ${imported + f} ${types[funcTypes[f]!] ?? ""}${locals.length ? ` (local ${locals.join(" ")})` : ""}`);
        let depth = 2;
        while (at < bodyEnd) {
          const op = byte();
          let text: string;
          if (op === 0xfe) {
            const sub = u32(); u32(); const off = u32();
            text = `${ATOMICS[sub] ?? `atomic.0x${sub.toString(16)}`}${off ? ` offset=${off}` : ""}`;
          } else if (op === 0xfc) {
            const sub = u32(); if (sub === 0x0b) byte(); else if (sub === 0x0a) { byte(); byte(); }
            text = sub === 0x0b ? "memory.fill" : sub === 0x0a ? "memory.copy" : `0xfc 0x${sub.toString(16)}`;
          } else {
            const [n, imm] = NAMES[op] ?? [`0x${op.toString(16)}`, ""];
            text = n;
            if (imm === "u32") text += ` ${u32()}`;
            else if (imm === "s32" || imm === "s64") text += ` ${s64()}`;
            else if (imm === "mem") { u32(); const off = u32(); if (off) text += ` offset=${off}`; }
            else if (imm === "block") { const t = byte(); if (t !== 0x40) text += ` (result ${TYPES[t]})`; }
            else if (imm === "table") { const n2 = u32(); const ls = Array.from({ length: n2 + 1 }, () => u32()); text += ` ${ls.join(" ")}`; }
            else if (imm === "call_indirect") { text += ` (type ${u32()})`; u32(); }
          }
          if (op === 0x0b || op === 0x05) depth--;
          if (at < bodyEnd || op !== 0x0b) out.push(`${"  ".repeat(Math.max(depth, 1))}${text}`);
          if (op === 0x02 || op === 0x03 || op === 0x04 || op === 0x05) depth++;
        }
        out.push("  )");
      }
    }
    at = end;
  }
  out.push(")");
  return out.join("\n");
}
