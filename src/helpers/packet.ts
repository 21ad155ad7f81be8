/**
 * @fileoverview The run's packet as the packet helpers change it: where data_meta, data and
 * data_end lie in the buffer, and moving them the way the kernel moves an xdp_buff's or an
 * skb's pointers, keeping the context the program reads (xdp_md, __sk_buff) in step.
 */

import type { HelperEnv } from "../runtime/helpers.js";

/** sizeof(struct xdp_frame): the start of an XDP buffer the program may not reach. */
export const XDP_FRAME_HEADER = 40;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)): the end of a buffer a packet may not reach. */
export const SHARED_INFO = 320;
/** ETH_HLEN */
export const ETH_HLEN = 14;

/** struct xdp_md offsets. */
const XDP_MD = { data: 0, dataEnd: 4, dataMeta: 8 } as const;
/** struct __sk_buff offsets of the fields skb helpers change. */
export const SK_BUFF = {
  len: 0, protocol: 16, vlanPresent: 20, vlanTci: 24, vlanProto: 28, hash: 68, data: 76, dataEnd: 80, dataMeta: 140,
} as const;

/** The packet of the current run, as addresses in the runtime's space. */
export class Packet {
  private constructor(readonly env: HelperEnv, readonly xdp: boolean) {}

  /** The run's packet, or undefined when the run has none (a raw or tracing run). */
  static of(env: HelperEnv): Packet | undefined {
    const t = env.run.programType;
    if (!env.run.packet || t === "raw") return undefined;
    return new Packet(env, t === "xdp");
  }

  /** The buffer's first address (XDP: data_hard_start; skb: head). */
  get start(): number { return this.env.run.packet!.base; }
  /** One past the buffer's last address the packet may use. */
  get limit(): number { return this.env.run.packet!.end - SHARED_INFO; }
  get meta(): number { return this.env.run.packet!.lo; }
  get data(): number { return this.env.run.data; }
  get dataEnd(): number { return this.env.run.packet!.hi; }
  /** skb->len / the XDP buffer's length: data to data_end. */
  get length(): number { return this.dataEnd - this.data; }

  /** The bytes from data to data_end (a fresh view). */
  bytes(): Uint8Array {
    return new Uint8Array(this.env.space.memory.buffer, this.data, this.length);
  }

  /** Moves the packet's pointers; the context the program reads follows. */
  set(p: { meta?: number; data?: number; dataEnd?: number }): void {
    const meta = p.meta ?? (this.xdp ? this.meta : p.data ?? this.data);
    const data = p.data ?? this.data;
    const dataEnd = p.dataEnd ?? this.dataEnd;
    const run = this.env.run;
    run.packet!.setWindow(meta, dataEnd);
    run.data = data;
    // The interpreter's LD_ABS window (the Machine is the env there).
    const m = this.env as unknown as { packetStart?: number; packetEnd?: number };
    if (m.packetStart !== undefined) { m.packetStart = data; m.packetEnd = dataEnd; }
    const ctx = run.ctx;
    if (!ctx) return;
    const v = this.env.space.view;
    if (this.xdp) {
      v.setUint32(ctx.base + XDP_MD.data, data, true);
      v.setUint32(ctx.base + XDP_MD.dataEnd, dataEnd, true);
      v.setUint32(ctx.base + XDP_MD.dataMeta, meta, true);
    } else {
      v.setUint32(ctx.base + SK_BUFF.len, dataEnd - data, true);
      v.setUint32(ctx.base + SK_BUFF.data, data, true);
      v.setUint32(ctx.base + SK_BUFF.dataEnd, dataEnd, true);
      v.setUint32(ctx.base + SK_BUFF.dataMeta, data, true);
    }
  }

  /** Reads a u32 field of the skb's context (__sk_buff). */
  ctxU32(off: number): number {
    const ctx = this.env.run.ctx;
    return ctx ? this.env.space.view.getUint32(ctx.base + off, true) : 0;
  }

  /** Writes a u32 field of the skb's context (__sk_buff). */
  setCtxU32(off: number, value: number): void {
    const ctx = this.env.run.ctx;
    if (ctx) this.env.space.view.setUint32(ctx.base + off, value >>> 0, true);
  }

  /**
   * Makes room for `len` more bytes before data, as skb_cow_head would by reallocating:
   * the packet moves toward the tail if the headroom is short. False if the buffer is full.
   */
  ensureHeadroom(len: number): boolean {
    const short = this.start + len - this.data;
    if (short <= 0) return true;
    if (this.dataEnd + short > this.limit) return false;
    const u8 = this.env.space.u8;
    u8.copyWithin(this.data + short, this.data, this.dataEnd);
    u8.fill(0, this.data, this.data + short);
    this.set({ data: this.data + short, dataEnd: this.dataEnd + short });
    return true;
  }

  /**
   * bpf_skb_generic_push / _pop: inserts `len` zero bytes at `off` from data (len < 0
   * removes -len bytes there) by moving the `off` bytes before it toward the head (or the
   * tail), as skb_push with a memmove and a memset do.
   */
  insertAt(off: number, len: number): boolean {
    if (len >= 0 && !this.ensureHeadroom(len)) return false;
    const u8 = this.env.space.u8;
    const data = this.data;
    u8.copyWithin(data - len, data, data + off);
    if (len > 0) u8.fill(0, data - len + off, data + off);
    this.set({ data: data - len });
    return true;
  }
}
