/**
 * @fileoverview Classic BPF as text, in tcpdump's three forms: `-d` (libpcap's bpf_image
 * listing), `-dd` (a C array) and `-ddd` (decimal), and an assembler reading all three back.
 */

import { AssemblerError } from "../errors.js";
import { SKF_AD_OFF, type SockFilter } from "./insn.js";

/** bpf_image's operand forms: how `k` is shown for each opcode. */
const enum Operand {
  None, Dec, Hex, Abs, Ind, Msh, Mem, Ja, X, Len,
}

/** One row per opcode libpcap prints: code, mnemonic, operand form (bpf_image.c). */
const OPCODES: readonly (readonly [number, string, Operand])[] = [
  [0x06, "ret", Operand.Dec], [0x16, "ret", Operand.None],
  [0x20, "ld", Operand.Abs], [0x28, "ldh", Operand.Abs], [0x30, "ldb", Operand.Abs],
  [0x80, "ld", Operand.Len],
  [0x40, "ld", Operand.Ind], [0x48, "ldh", Operand.Ind], [0x50, "ldb", Operand.Ind],
  [0x00, "ld", Operand.Hex], [0x01, "ldx", Operand.Hex], [0xb1, "ldxb", Operand.Msh],
  [0x60, "ld", Operand.Mem], [0x61, "ldx", Operand.Mem], [0x02, "st", Operand.Mem], [0x03, "stx", Operand.Mem],
  [0x05, "ja", Operand.Ja],
  [0x25, "jgt", Operand.Hex], [0x35, "jge", Operand.Hex], [0x15, "jeq", Operand.Hex], [0x45, "jset", Operand.Hex],
  [0x2d, "jgt", Operand.X], [0x3d, "jge", Operand.X], [0x1d, "jeq", Operand.X], [0x4d, "jset", Operand.X],
  [0x0c, "add", Operand.X], [0x1c, "sub", Operand.X], [0x2c, "mul", Operand.X], [0x3c, "div", Operand.X],
  [0x9c, "mod", Operand.X], [0x5c, "and", Operand.X], [0x4c, "or", Operand.X], [0xac, "xor", Operand.X],
  [0x6c, "lsh", Operand.X], [0x7c, "rsh", Operand.X],
  [0x04, "add", Operand.Dec], [0x14, "sub", Operand.Dec], [0x24, "mul", Operand.Dec], [0x34, "div", Operand.Dec],
  [0x94, "mod", Operand.Dec], [0x54, "and", Operand.Hex], [0x44, "or", Operand.Hex], [0xa4, "xor", Operand.Hex],
  [0x64, "lsh", Operand.Dec], [0x74, "rsh", Operand.Dec],
  [0x84, "neg", Operand.None], [0x07, "tax", Operand.None], [0x87, "txa", Operand.None],
];
const BY_CODE = new Map(OPCODES.map(([code, name, form]) => [code, { name, form }]));

/** The Linux ancillary offsets bpf_image prints by name (`ld [vlan_tci]`), by SKF_AD_* value. */
const ANCILLARY_NAMES: Readonly<Record<number, string>> = {
  0: "proto", 4: "type", 8: "ifidx", 12: "nla", 16: "nlan", 20: "mark", 24: "queue", 28: "hatype",
  32: "rxhash", 36: "cpu", 40: "xor_x", 44: "vlan_tci", 48: "vlanp", 52: "poff", 56: "random", 60: "vlan_tpid",
};
/** SKF_AD_MAX */
const SKF_AD_MAX = 64;

const signed = (k: number) => k | 0;
const hex = (k: number) => `0x${(k >>> 0).toString(16)}`;

function operand(form: Operand, insn: SockFilter, n: number): string {
  const k = insn.k;
  switch (form) {
    case Operand.None: return "";
    case Operand.Dec: return `#${signed(k)}`;
    case Operand.Hex: return `#${hex(k)}`;
    case Operand.Abs: {
      const ad = (k >>> 0) - (SKF_AD_OFF >>> 0);
      const name = ad >= 0 && ad < SKF_AD_MAX ? ANCILLARY_NAMES[ad] : undefined;
      return name ? `[${name}]` : `[${signed(k)}]`;
    }
    case Operand.Ind: return `[x + ${signed(k)}]`;
    case Operand.Msh: return `4*([${signed(k)}]&0xf)`;
    case Operand.Mem: return `M[${signed(k)}]`;
    case Operand.Ja: return `${signed(n + 1 + k)}`;
    case Operand.X: return "x";
    case Operand.Len: return "#pktlen";
  }
}

/** One line of `tcpdump -d`, as libpcap's bpf_image prints instruction `n`. */
export function imageInsn(insn: SockFilter, n: number): string {
  const row = BY_CODE.get(insn.code);
  const op = row ? row.name : "unimp";
  const arg = row ? operand(row.form, insn, n) : hex(insn.code);
  const idx = String(n).padStart(3, "0");
  if ((insn.code & 0x07) === 0x05 && (insn.code & 0xf0) !== 0x00) {
    return `(${idx}) ${op.padEnd(8)} ${arg.padEnd(16)} jt ${n + 1 + insn.jt}\tjf ${n + 1 + insn.jf}`;
  }
  return `(${idx}) ${op.padEnd(8)} ${arg}`;
}

/** `tcpdump -d`: one line per instruction, each ending in a newline. */
export function formatListing(program: readonly SockFilter[]): string {
  return program.map((insn, i) => `${imageInsn(insn, i)}\n`).join("");
}

/** `tcpdump -dd`: a C array body, `{ 0x28, 0, 0, 0x0000000c },` per line. */
export function formatC(program: readonly SockFilter[]): string {
  return program.map((i) => `{ ${hex(i.code)}, ${i.jt}, ${i.jf}, 0x${(i.k >>> 0).toString(16).padStart(8, "0")} },\n`).join("");
}

/** `tcpdump -ddd`: the count, then `code jt jf k` in decimal per line. */
export function formatDecimal(program: readonly SockFilter[]): string {
  return `${program.length}\n` + program.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k >>> 0}\n`).join("");
}

/** The three text forms by their tcpdump flag count: 1 `-d`, 2 `-dd`, 3 `-ddd`. */
export function formatProgram(program: readonly SockFilter[], form: 1 | 2 | 3): string {
  return form === 1 ? formatListing(program) : form === 2 ? formatC(program) : formatDecimal(program);
}

// ---- reading back ----

/** Name and form back to opcodes: `ld` with `[x + 4]` is 0x40, and so on. */
const BY_NAME = new Map<string, { code: number; form: Operand }[]>();
for (const [code, name, form] of OPCODES) {
  const list = BY_NAME.get(name) ?? [];
  list.push({ code, form });
  BY_NAME.set(name, list);
}
const ANCILLARY_BY_NAME = new Map(Object.entries(ANCILLARY_NAMES).map(([k, v]) => [v, Number(k)]));

function parseNum(text: string, line: number, col: number): number {
  const t = text.trim();
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(t)) throw new AssemblerError(line, col, `bad number '${t}'`);
  const neg = t.startsWith("-");
  const v = Number(neg ? t.slice(1) : t);
  if (!Number.isSafeInteger(v) || v > 0xffffffff) throw new AssemblerError(line, col, `number '${t}' out of range`);
  return (neg ? -v : v) >>> 0;
}

/** Which operand form a text operand is, and its value (before opcode selection). */
function classify(arg: string, n: number, line: number, col: number): { form: Operand; k: number } {
  const a = arg.trim();
  let m: RegExpMatchArray | null;
  if (a === "") return { form: Operand.None, k: 0 };
  if (a === "x") return { form: Operand.X, k: 0 };
  if (a === "#pktlen" || a === "#len" || a === "len") return { form: Operand.Len, k: 0 };
  if ((m = a.match(/^#(.*)$/))) {
    return { form: /^#-?0x/i.test(a) ? Operand.Hex : Operand.Dec, k: parseNum(m[1]!, line, col) };
  }
  if ((m = a.match(/^\[\s*x\s*\+\s*(.*)\]$/))) return { form: Operand.Ind, k: parseNum(m[1]!, line, col) };
  if ((m = a.match(/^4\s*\*\s*\(\s*\[(.*)\]\s*&\s*0xf\s*\)$/))) return { form: Operand.Msh, k: parseNum(m[1]!, line, col) };
  if ((m = a.match(/^M\[(.*)\]$/))) return { form: Operand.Mem, k: parseNum(m[1]!, line, col) };
  if ((m = a.match(/^\[(.*)\]$/))) {
    const ad = ANCILLARY_BY_NAME.get(m[1]!.trim());
    return { form: Operand.Abs, k: ad !== undefined ? (SKF_AD_OFF + ad) >>> 0 : parseNum(m[1]!, line, col) };
  }
  if (/^-?(0x[0-9a-f]+|\d+)$/i.test(a)) return { form: Operand.Ja, k: (parseNum(a, line, col) - n - 1) >>> 0 };
  throw new AssemblerError(line, col, `bad operand '${a}'`);
}

function parseListingLine(text: string, line: number, expectIndex: number): SockFilter {
  const m = text.match(/^\s*\((\d+)\)\s+(\S+)\s*(.*?)\s*$/);
  if (!m) throw new AssemblerError(line, 1, `expected '(NNN) op operand', got '${text.trim()}'`);
  const n = Number(m[1]);
  if (n !== expectIndex) throw new AssemblerError(line, 2, `instruction numbered ${n}, expected ${expectIndex}`);
  const name = m[2]!;
  let rest = m[3]!;
  let jt = 0, jf = 0, isCond = false;
  const jm = rest.match(/^(.*?)\s+jt\s+(\d+)\s+jf\s+(\d+)$/);
  if (jm) {
    rest = jm[1]!;
    isCond = true;
    jt = Number(jm[2]) - n - 1;
    jf = Number(jm[3]) - n - 1;
    if (jt < 0 || jt > 255 || jf < 0 || jf > 255) throw new AssemblerError(line, 1, `jump targets ${jm[2]}/${jm[3]} out of reach of instruction ${n}`);
  }
  const col = text.indexOf(name) + name.length + 2;
  if (name === "unimp") return { code: parseNum(rest, line, col) & 0xffff, jt, jf, k: 0 };
  const rows = BY_NAME.get(name);
  if (!rows) throw new AssemblerError(line, text.indexOf(name) + 1, `unknown mnemonic '${name}'`);
  const { form, k } = classify(rest, n, line, col);
  // `#n` is decimal for some opcodes and hex for others in the listing; accept either.
  const row = rows.find((r) => r.form === form)
    ?? rows.find((r) => (form === Operand.Dec && r.form === Operand.Hex) || (form === Operand.Hex && r.form === Operand.Dec));
  if (!row) throw new AssemblerError(line, col, `'${name}' does not take operand '${rest.trim()}'`);
  const cond = (row.code & 0x07) === 0x05 && (row.code & 0xf0) !== 0;
  if (cond !== isCond) throw new AssemblerError(line, col, cond ? `'${name}' needs 'jt N jf M'` : `'${name}' takes no jt/jf`);
  return { code: row.code, jt, jf, k };
}

/**
 * Reads a program in any of tcpdump's three forms back: the `-d` listing, the `-dd` C array
 * (braces optional) or the `-ddd` decimal lines (the count line first).
 */
export function parseProgram(source: string): SockFilter[] {
  const lines = source.split(/\r?\n/);
  const body = lines.map((text, i) => ({ text: text.replace(/\/\/.*$|;.*$/, "").trim(), line: i + 1 })).filter((l) => l.text !== "");
  if (body.length === 0) return [];
  const out: SockFilter[] = [];
  const first = body[0]!.text;
  if (first.startsWith("(")) {
    for (const { text, line } of body) out.push(parseListingLine(text, line, out.length));
    return out;
  }
  if (first.startsWith("{")) {
    for (const { text, line } of body) {
      const m = text.match(/^\{\s*([^,]+),\s*([^,]+),\s*([^,]+),\s*([^,}]+?)\s*\},?$/);
      if (!m) throw new AssemblerError(line, 1, `expected '{ code, jt, jf, k },', got '${text}'`);
      out.push(fields(m.slice(1, 5), line));
    }
    return out;
  }
  // -ddd: a count, then four decimals per line.
  const count = parseNum(first, body[0]!.line, 1);
  for (const { text, line } of body.slice(1)) {
    const parts = text.split(/[\s,]+/);
    if (parts.length !== 4) throw new AssemblerError(line, 1, `expected 'code jt jf k', got '${text}'`);
    out.push(fields(parts, line));
  }
  if (out.length !== count) throw new AssemblerError(body[0]!.line, 1, `count says ${count} instructions, ${out.length} follow`);
  return out;
}

function fields(parts: readonly string[], line: number): SockFilter {
  const [code, jt, jf, k] = parts.map((p, i) => parseNum(p, line, i + 1));
  if (code! > 0xffff) throw new AssemblerError(line, 1, `code ${code} does not fit 16 bits`);
  if (jt! > 255 || jf! > 255) throw new AssemblerError(line, 1, `jt/jf ${jt}/${jf} do not fit 8 bits`);
  return { code: code!, jt: jt!, jf: jf!, k: k! };
}
