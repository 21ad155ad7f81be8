/**
 * @fileoverview The TCP header-option helpers of sock_ops programs (net/core/filter.c):
 * bpf_load_hdr_opt finds an option in the skb's TCP header (by kind, and for experimental
 * kinds 254/253 by magic), bpf_reserve_hdr_opt takes option space in HDR_OPT_LEN_CB, and
 * bpf_store_hdr_opt appends an option in WRITE_HDR_OPT_CB, refusing duplicates.
 */

import { BPF_SOCK_OPS } from "../programs/layouts.js";
import { MAX_TCP_OPTION_SPACE } from "../programs/run-context.js";
import type { HelperDef, HelperEnv, HelperFn } from "../runtime/helpers.js";
import { E, mem } from "./util.js";

/** BPF_SOCK_OPS_PARSE_HDR_OPT_CB, BPF_SOCK_OPS_HDR_OPT_LEN_CB, BPF_SOCK_OPS_WRITE_HDR_OPT_CB */
export const SockOpsOp = { ParseHdrOpt: 13, HdrOptLen: 14, WriteHdrOpt: 15 } as const;
/** BPF_LOAD_HDR_OPT_TCP_SYN: search the saved SYN instead */
const BPF_LOAD_HDR_OPT_TCP_SYN = 1;
/** TCPOPT_EOL, TCPOPT_NOP, TCPOPT_EXP (and 253, the other experimental kind) */
const TCPOPT_EOL = 0, TCPOPT_NOP = 1, TCPOPT_EXP = 254;
/** ENOMSG, ENOSPC, EPERM (negated where returned) */
const ENOMSG = 42, ENOSPC = 28;
/** sizeof(struct tcphdr) */
const TCPHDR = 20;

const field = (env: HelperEnv, name: string) => env.run.ctx!.base + BPF_SOCK_OPS.field(name).off;

/** The run's skb: its TCP header's start and the end of its options, or undefined without one. */
function skbOf(env: HelperEnv): { data: number; end: number } | undefined {
  if (!env.run.ctx) return undefined;
  const v = env.space.view;
  const data = Number(v.getBigUint64(field(env, "skb_data"), true));
  return data ? { data, end: Number(v.getBigUint64(field(env, "skb_data_end"), true)) } : undefined;
}

const op = (env: HelperEnv) => (env.run.ctx ? env.space.view.getUint32(field(env, "op"), true) : -1);

/** The option space not yet reserved or written, per run (the kernel's remaining_opt_len). */
const REMAINING = new WeakMap<object, number>();
function remaining(env: HelperEnv): number {
  const ctx = env.run.ctx!;
  let r = REMAINING.get(ctx);
  if (r === undefined) {
    const skb = skbOf(env);
    r = MAX_TCP_OPTION_SPACE - (skb ? Math.max(0, skb.end - skb.data - TCPHDR) : 0);
    REMAINING.set(ctx, r);
  }
  return r;
}

/** bpf_search_tcp_opt: the option's address, or -ENOMSG (with `eol` when an EOL ended the search) or -EFAULT for a malformed one. */
function search(u8: Uint8Array, from: number, end: number, kind: number, magic: Uint8Array | undefined): { at: number; eol: boolean } {
  let p = from;
  while (p < end) {
    const k = u8[p]!;
    if (k === TCPOPT_EOL) return { at: -ENOMSG, eol: true };
    if (k === TCPOPT_NOP) { p++; continue; }
    const len = u8[p + 1] ?? 0;
    if (end - p < 2 || end - p < len || len < 2) return { at: -E.EFAULT, eol: false };
    if (k === kind) {
      if (!magic) return { at: p, eol: false };
      if (magic.length <= len - 2 && magic.every((b, i) => u8[p + 2 + i] === b)) return { at: p, eol: false };
      if (magic.length > len - 2) return { at: -ENOMSG, eol: false };
    }
    p += len;
  }
  return { at: -ENOMSG, eol: false };
}

/** bpf_load_hdr_opt(sock_ops, searchby_res, len, flags): the option's length, copied over searchby_res. */
const loadHdrOpt: HelperFn = (a, env) => {
  const len = a.u32(3), flags = a.u64(4);
  const buf = mem(env, a, 2, len, "write");
  if (len < 2 || (flags & ~BigInt(BPF_LOAD_HDR_OPT_TCP_SYN)) !== 0n) return -E.EINVAL;
  const kind = buf[0]!, kindLen = buf[1]!;
  if (kindLen > len || kind === TCPOPT_NOP || kind === TCPOPT_EOL) return -E.EINVAL;
  let magic: Uint8Array | undefined;
  if (kind === TCPOPT_EXP || kind === 253) {
    if (kindLen !== 4 && kindLen !== 6) return -E.EINVAL;
    magic = buf.slice(2, kindLen);
  } else if (kindLen) return -E.EINVAL;
  // The saved SYN (TCP_SAVE_SYN) is not modelled: as a socket that saved none.
  if (flags & BigInt(BPF_LOAD_HDR_OPT_TCP_SYN)) return -E.ENOENT;
  const skb = skbOf(env);
  if (!skb || op(env) === SockOpsOp.HdrOptLen) return -E.EPERM;
  const u8 = env.space.u8;
  const found = search(u8, skb.data + TCPHDR, skb.end, kind, magic);
  if (found.at < 0) return found.at;
  const optLen = u8[found.at + 1]!;
  const copy = Math.min(optLen, len);
  buf.set(u8.subarray(found.at, found.at + copy));
  return optLen > len ? -ENOSPC : optLen;
};

/** bpf_reserve_hdr_opt(sock_ops, len, flags): HDR_OPT_LEN_CB only; -ENOSPC past the space left. */
const reserveHdrOpt: HelperFn = (a, env) => {
  if (op(env) !== SockOpsOp.HdrOptLen) return -E.EPERM;
  const len = a.u32(2);
  if (a.u64(3) !== 0n || len < 2) return -E.EINVAL;
  const left = remaining(env);
  if (len > left) return -ENOSPC;
  REMAINING.set(env.run.ctx!, left - len);
  return 0;
};

/** bpf_store_hdr_opt(sock_ops, from, len, flags): WRITE_HDR_OPT_CB only; appends the option, -EEXIST for one already there. */
const storeHdrOpt: HelperFn = (a, env) => {
  if (op(env) !== SockOpsOp.WriteHdrOpt) return -E.EPERM;
  const len = a.u32(3);
  const from = mem(env, a, 2, len, "read").slice();
  if (len < 2 || a.u64(4) !== 0n) return -E.EINVAL;
  const kind = from[0]!, kindLen = from[1]!;
  if (kindLen > len || kind === TCPOPT_NOP || kind === TCPOPT_EOL) return -E.EINVAL;
  if (kindLen > remaining(env)) return -ENOSPC;
  let magic: Uint8Array | undefined;
  if (kind === TCPOPT_EXP || kind === 253) {
    if (kindLen < 4) return -E.EINVAL;
    magic = from.slice(2, 4);
  }
  const skb = skbOf(env);
  if (!skb) return -E.EPERM;
  const found = search(env.space.u8, skb.data + TCPHDR, skb.end, kind, magic);
  if (found.at >= 0) return -E.EEXIST;
  if (found.at !== -ENOMSG) return found.at;
  if (found.eol) return -ENOSPC;
  env.space.u8.set(from.subarray(0, kindLen), skb.end);
  REMAINING.set(env.run.ctx!, remaining(env) - kindLen);
  const end = skb.end + kindLen;
  env.space.view.setBigUint64(field(env, "skb_data_end"), BigInt(end), true);
  const pkt = env.run.packet;
  if (pkt) pkt.setWindow(pkt.lo, Math.max(pkt.hi, end));
  return 0;
};

/** The TCP header-option helpers, by id (enum bpf_func_id). */
export const TCP_OPT_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_load_hdr_opt */
  { id: 142, name: "load_hdr_opt", fn: loadHdrOpt },
  /** BPF_FUNC_store_hdr_opt */
  { id: 143, name: "store_hdr_opt", fn: storeHdrOpt },
  /** BPF_FUNC_reserve_hdr_opt */
  { id: 144, name: "reserve_hdr_opt", fn: reserveHdrOpt },
];
