/**
 * @fileoverview bpf_skb_set_tunnel_key and bpf_skb_get_tunnel_key: the tunnel metadata a tc
 * program attaches to its skb for a collect-metadata tunnel device, as struct
 * ip_tunnel_info holds it (net/core/filter.c), kept with the run's packet.
 */

import type { HelperDef, HelperEnv, HelperFn } from "../runtime/helpers.js";
import { E, mem } from "./util.js";

/** sizeof(struct bpf_tunnel_key) and the offsets of the older, shorter layouts */
const KEY_SIZE = 44, OFF_LOCAL = 28, OFF_LABEL = 24, OFF_EXT = 22, OFF_REMOTE6_1 = 8;
/** BPF_F_TUNINFO_IPV6, BPF_F_ZERO_CSUM_TX, BPF_F_DONT_FRAGMENT, BPF_F_SEQ_NUMBER, BPF_F_NO_TUNNEL_KEY; BPF_F_TUNINFO_FLAGS */
const F_IPV6 = 1n, F_ZERO_CSUM_TX = 2n, F_DONT_FRAGMENT = 4n, F_SEQ_NUMBER = 8n, F_NO_TUNNEL_KEY = 16n, F_TUNINFO_FLAGS = 16n;
/** IP_TUNNEL_*_BIT: CSUM 0, KEY 2, SEQ 3, DONT_FRAGMENT 8, NOCACHE 13 */
const T_CSUM = 1 << 0, T_KEY = 1 << 2, T_SEQ = 1 << 3, T_DONT_FRAGMENT = 1 << 8, T_NOCACHE = 1 << 13;
const EPROTO = 71;
/** IPV6_FLOWLABEL_MASK */
const FLOWLABEL_MASK = 0x000fffff;

/** struct ip_tunnel_info, as far as the helpers see it: addresses as bytes in network order. */
interface TunnelInfo { id: number; v6: boolean; src: Uint8Array; dst: Uint8Array; tos: number; ttl: number; label: number; flags: number }
const TUNNELS = new WeakMap<object, TunnelInfo>();

function keyOf(env: HelperEnv): object {
  if (!env.run.packet) throw new Error("the tunnel key helpers need a packet (this run has none)");
  return env.run.packet;
}

const be32 = (v: DataView, off: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v.getUint32(off, true), false);
  return b;
};

/** bpf_skb_set_tunnel_key(skb, key, size, flags) */
const setKey: HelperFn = (a, env) => {
  const flags = a.u64(4), size = a.u32(3);
  if (flags & ~(F_IPV6 | F_ZERO_CSUM_TX | F_DONT_FRAGMENT | F_SEQ_NUMBER | F_NO_TUNNEL_KEY)) return -E.EINVAL;
  if (size !== KEY_SIZE && size !== OFF_LOCAL && size !== OFF_LABEL && size !== OFF_EXT && size !== OFF_REMOTE6_1) return -E.EINVAL;
  const key = new Uint8Array(KEY_SIZE);
  key.set(mem(env, a, 2, size, "read"));
  const v = new DataView(key.buffer);
  const v6 = (flags & F_IPV6) !== 0n;
  if ((!v6 && v.getUint32(OFF_LABEL, true) !== 0) || v.getUint16(OFF_EXT, true) !== 0) return -E.EINVAL;
  let tflags = T_NOCACHE;
  if (flags & F_DONT_FRAGMENT) tflags |= T_DONT_FRAGMENT;
  if (!(flags & F_ZERO_CSUM_TX)) tflags |= T_CSUM;
  if (flags & F_SEQ_NUMBER) tflags |= T_SEQ;
  if (!(flags & F_NO_TUNNEL_KEY)) tflags |= T_KEY;
  TUNNELS.set(keyOf(env), {
    id: v.getUint32(0, true), v6, tos: key[20]!, ttl: key[21]!, flags: tflags,
    // The remote address is the destination of the encapsulated packet, the local one its source.
    dst: v6 ? key.slice(4, 20) : be32(v, 4),
    src: v6 ? key.slice(28, 44) : be32(v, 28),
    label: v6 ? v.getUint32(OFF_LABEL, true) & FLOWLABEL_MASK : 0,
  });
  return 0;
};

/** bpf_skb_get_tunnel_key(skb, key, size, flags): the skb's tunnel metadata, or -errno with the key zeroed. */
const getKey: HelperFn = (a, env) => {
  const flags = a.u64(4), size = a.u32(3);
  const out = mem(env, a, 2, size, "write");
  const info = TUNNELS.get(keyOf(env));
  const fail = (err: number) => { out.fill(0); return -err; };
  if (!info || flags & ~(F_IPV6 | F_TUNINFO_FLAGS)) return fail(E.EINVAL);
  const v6 = (flags & F_IPV6) !== 0n;
  if (info.v6 !== v6) return fail(EPROTO);
  if (size !== KEY_SIZE && size !== OFF_LABEL && size !== OFF_EXT && !(size === OFF_REMOTE6_1 && !v6)) return fail(E.EINVAL);
  const key = new Uint8Array(KEY_SIZE);
  const v = new DataView(key.buffer);
  v.setUint32(0, info.id, true);
  key[20] = info.tos;
  key[21] = info.ttl;
  if (flags & F_TUNINFO_FLAGS) v.setUint16(22, info.flags & 0xffff, false);
  // As the kernel reads it back: the remote address from the source, the local one from the destination.
  if (v6) {
    key.set(info.src, 4);
    key.set(info.dst, 28);
    v.setUint32(OFF_LABEL, info.label, true);
  } else {
    v.setUint32(4, new DataView(info.src.buffer, info.src.byteOffset).getUint32(0, false), true);
    v.setUint32(28, new DataView(info.dst.buffer, info.dst.byteOffset).getUint32(0, false), true);
  }
  out.set(key.subarray(0, size));
  return 0;
};

/** The tunnel helpers, by id (enum bpf_func_id). */
export const TUNNEL_HELPERS: readonly HelperDef[] = [
  /** BPF_FUNC_skb_get_tunnel_key */
  { id: 20, name: "skb_get_tunnel_key", fn: getKey },
  /** BPF_FUNC_skb_set_tunnel_key */
  { id: 21, name: "skb_set_tunnel_key", fn: setKey },
];
