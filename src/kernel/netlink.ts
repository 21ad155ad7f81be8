/**
 * @fileoverview rtnetlink messages, as iproute2 builds them: a header, a family header
 * (ifinfomsg, tcmsg), attributes (nested ones too); one request and its replies over a
 * NETLINK_ROUTE socket, an error reply turned into the caller's error.
 */

import { netlinkSocket } from "./native.js";

/** NETLINK_ROUTE; NLMSG_ERROR, NLMSG_DONE */
const NETLINK_ROUTE = 0, NLMSG_ERROR = 2, NLMSG_DONE = 3;
/** NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE */
export const NlmF = { Request: 1, Ack: 4, Dump: 0x300, Replace: 0x100, Excl: 0x200, Create: 0x400 } as const;
/** NLA_F_NESTED */
export const NLA_F_NESTED = 0x8000;
const NLMSG_HDR = 16;

const align4 = (n: number) => (n + 3) & ~3;

/** One attribute: u16 length, u16 type, the payload, padded to 4. */
export function nlAttr(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(align4(4 + payload.length));
  const v = new DataView(out.buffer);
  v.setUint16(0, 4 + payload.length, true);
  v.setUint16(2, type, true);
  out.set(payload, 4);
  return out;
}

export const s32 = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, n, true); return b; };
export const u32 = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n >>> 0, true); return b; };
/** A NUL-terminated string payload. */
export const cstr = (s: string): Uint8Array => { const e = new TextEncoder().encode(s); const b = new Uint8Array(e.length + 1); b.set(e); return b; };
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

let seq = 1;

/** A request: the netlink header, then the family header, then the attributes. */
export function nlMessage(type: number, flags: number, header: Uint8Array, attrs: readonly Uint8Array[]): Uint8Array {
  const body = concat([header, ...attrs]);
  const out = new Uint8Array(NLMSG_HDR + body.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, out.length, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq++, true);
  out.set(body, NLMSG_HDR);
  return out;
}

/** One reply message: its type and what follows the netlink header. */
export interface NlReply { readonly type: number; readonly body: Uint8Array }

/**
 * Sends a request and gathers its replies until the ack or NLMSG_DONE (or, with
 * `untilDone` false, the first datagram: a request for one object gets one message).
 * An error reply is handed to `fail`, which throws.
 */
export function nlExchange(request: Uint8Array, context: string, fail: (errno: number) => never, untilDone = true): NlReply[] {
  const sock = netlinkSocket(NETLINK_ROUTE, context);
  try {
    sock.send(request);
    const out: NlReply[] = [];
    for (;;) {
      const buf = sock.recv();
      const v = new DataView(buf.buffer);
      for (let at = 0; at + NLMSG_HDR <= buf.length;) {
        const len = v.getUint32(at, true), type = v.getUint16(at + 4, true);
        if (len < NLMSG_HDR) return out;
        if (type === NLMSG_ERROR) {
          const err = -v.getInt32(at + NLMSG_HDR, true);
          if (err === 0) return out; // the ack
          fail(err);
        }
        if (type === NLMSG_DONE) return out;
        out.push({ type, body: buf.slice(at + NLMSG_HDR, at + len) });
        at += align4(len);
      }
      if (!untilDone) return out;
    }
  } finally {
    sock.close();
  }
}

/** The attributes of a buffer from `from` on, by type (the nested flag cleared). */
export function nlAttrs(buf: Uint8Array, from: number): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let at = from; at + 4 <= buf.length;) {
    const len = v.getUint16(at, true), type = v.getUint16(at + 2, true) & 0x3fff;
    if (len < 4) break;
    out.set(type, buf.subarray(at + 4, at + len));
    at += align4(len);
  }
  return out;
}

/** A u32 attribute's value, or 0. */
export const nlU32 = (attrs: Map<number, Uint8Array>, type: number): number => {
  const b = attrs.get(type);
  return b && b.length >= 4 ? new DataView(b.buffer, b.byteOffset).getUint32(0, true) : 0;
};

/** A string attribute's value, or undefined. */
export const nlStr = (attrs: Map<number, Uint8Array>, type: number): string | undefined => {
  const b = attrs.get(type);
  return b ? new TextDecoder().decode(b).replace(/\0.*$/s, "") : undefined;
};
