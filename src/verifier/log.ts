/**
 * @fileoverview The verifier's log in the kernel's words: registers as print_verifier_state
 * prints them (`R1=ctx() R10=fp0`), stack slots (`fp-8=mmmmmmmm`), and the closing
 * statistics line; plus what the kernel does not print (source lines, hints).
 */

import { formatScalar, isConst } from "./scalar.js";
import { BTF_PTR_RCU, BTF_PTR_TRUSTED, BTF_PTR_UNTRUSTED, type Frame, type Reg, type State } from "./state.js";
import { formatDynptr } from "./dynptr.js";

/** The type's name as reg_type_str gives it, with its prefixes and _or_null. */
export function typeName(r: Reg): string {
  let base: string = r.type === "?" ? "?" : r.type;
  if (r.ringbuf) base = `ringbuf_${base}`;
  if (r.rdonly) base = `rdonly_${base}`;
  // reg_type_str: a BTF pointer's NULL flag comes before the struct's name (`ptr_or_null_`), which only states print.
  if (r.type === "ptr_") {
    const flag = r.range & BTF_PTR_TRUSTED ? "trusted_" : r.range & BTF_PTR_UNTRUSTED ? "untrusted_" : r.range & BTF_PTR_RCU ? "rcu_" : "";
    return `${flag}${base}${r.maybeNull ? "or_null_" : ""}`;
  }
  return r.maybeNull ? `${base}_or_null` : base;
}

/** One register's value, as the kernel prints it after `R1=`. */
export function formatReg(r: Reg): string {
  if (r.type === "scalar") return formatScalar(r.s, { ...(r.id ? { id: r.id, offset: r.off } : {}), precise: r.precise });
  if (r.type === "fp") return `fp${r.off}`;
  if (r.type === "arena") return "arena";
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}`);
  if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
  if (r.off) parts.push(`off=${r.off}`);
  if (r.type === "pkt" || r.type === "pkt_meta") parts.push(`r=${r.range}`);
  if (r.map && (r.type === "map_value" || r.type === "map_key" || r.type === "map_ptr")) {
    parts.push(`map=${r.map.name.slice(0, 15)}`, `ks=${r.map.keySize}`, `vs=${r.map.valueSize}`);
  }
  if (r.type === "mem") parts.push(`sz=${r.memSize}`);
  if (!isConst(r.s)) {
    const v = formatScalar(r.s, {});
    const inner = v.startsWith("scalar(") ? v.slice(7, -1) : v;
    if (inner) parts.push(inner);
  }
  return `${typeName(r)}${r.type === "ptr_" ? r.btfType : ""}(${parts.join(",")})`;
}

const SLOT_CHARS: Record<string, string> = { "?": "?", r: "r", m: "m", "0": "0" };

/** A frame's registers and stack, as print_verifier_state prints them. */
export function formatFrame(f: Frame, live?: number): string {
  const out: string[] = [];
  for (let i = 0; i < 11; i++) {
    const r = f.regs[i]!;
    if (r.type === "?") continue;
    if (live !== undefined && i !== 10 && !(live & (1 << i))) continue;
    out.push(`R${i}=${formatReg(r)}`);
  }
  for (let k = 0; k < f.stack.length; k++) {
    const slot = formatSlot(f, k);
    if (slot) out.push(slot);
  }
  return out.join(" ");
}

/** One stack slot as print_verifier_state prints it (`fp-8=ctx()`), or "" when it prints nothing. */
export function formatSlot(f: Frame, k: number): string {
  const s = f.stack[k];
  if (!s || /^\?+$/.test(s.types)) return "";
  const off = -8 * (k + 1);
  if (s.spilled && s.types.includes("r")) return `fp${off}=${formatReg(s.spilled)}`;
  if (s.spilled?.type === "iter") {
    // print_verifier_state: the iterator's type, reference, state and depth.
    const it = s.spilled;
    return `fp${off}=${it.btfType.replace(/^bpf_/, "")}(ref_id=${it.refObjId},state=${it.memSize === 1 ? "active" : "drained"},depth=${it.off})`;
  }
  // print_verifier_state prints a dynptr once, at its first slot.
  if (s.spilled?.type === "dynptr") return s.spilled.memSize === 1 ? `fp${off}=${formatDynptr(s.spilled)}` : "";
  return `fp${off}=${[...s.types].reverse().map((c) => SLOT_CHARS[c] ?? c).join("")}`;
}

export function formatState(s: State): string {
  const parts: string[] = [];
  s.frames.forEach((f, k) => {
    const text = formatFrame(f);
    parts.push(s.frames.length > 1 ? `frame${k}: ${text}` : text);
  });
  if (s.refs.length) parts.push(`refs=${s.refs.map((r) => r.id).join(",")}`);
  return parts.join(" ");
}

/** The statistics line that ends every kernel log. */
export function statsLine(st: { processed: number; maxStatesPerInsn: number; totalStates: number; peakStates: number; markRead: number }): string {
  return `processed ${st.processed} insns (limit 1000000) max_states_per_insn ${st.maxStatesPerInsn} total_states ${st.totalStates} peak_states ${st.peakStates} mark_read ${st.markRead}`;
}

/** A one-line hint on what to change, for the kernel's commonest rejections. */
export function fixHint(message: string, line?: number): string | undefined {
  const at = line !== undefined ? ` before line ${line}` : "";
  const rules: [RegExp, string][] = [
    [/invalid mem access '(map_value|ptr_.*|sock.*|mem|ringbuf_mem)_or_null'|invalid mem access '[a-z_]*ptr_or_null_'/, `check the pointer against NULL${at} (the helper that returned it may fail)`],
    [/invalid access to packet|offset is outside of the packet/, `compare data + offset + size with data_end${at}, and access only below the bound you checked`],
    [/min value is negative/, `make the index unsigned or check it is >= 0${at}`],
    [/unbounded (memory access|min value)/, `bound the index with & MASK or a comparison against a constant${at}`],
    [/invalid access to map value|value is outside of the allowed memory range/, `keep the offset and size within the map's value_size${at}`],
    [/!read_ok/, `initialise the register${at}; it is read before any write on this path`],
    [/invalid (indirect )?read from stack/, `initialise the stack buffer${at} (= {} or memset) before it is read`],
    [/Unreleased reference/, "release every reference on every path: ringbuf_submit/discard, sk_release"],
    [/should have been in/, "return a value in the program type's range"],
    [/BPF program is too large|infinite loop detected/, "bound the loop with a constant, or use bpf_loop for long loops"],
    [/invalid bpf_context access/, "access only the context fields of this program type, with their own sizes"],
    [/pointer arithmetic|prohibited/, "do arithmetic on integers and only add bounded offsets to pointers"],
    [/div by zero|invalid shift/, "make the divisor nonzero and the shift count below the operand's width"],
    [/cannot use helper|unknown func/, "this helper is not available to this program type"],
  ];
  for (const [re, hint] of rules) if (re.test(message)) return hint;
  return undefined;
}
