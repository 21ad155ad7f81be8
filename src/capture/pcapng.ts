/**
 * @fileoverview pcapng (draft-ietf-opsawg-pcapng): blocks of type, length, body, length.
 * Section headers set the byte order; interface descriptions give each interface its link
 * type and timestamp resolution; enhanced, simple and obsolete packet blocks carry packets.
 * Other blocks are skipped.
 */

import { ByteQueue, reader } from "./bytes.js";
import { CaptureError, type CapturePacket, type CaptureWarning } from "./types.js";

/** Block types. */
const enum Block {
  /** Section Header Block */
  Shb = 0x0a0d0d0a,
  /** Interface Description Block */
  Idb = 0x00000001,
  /** Packet Block (obsolete) */
  Pb = 0x00000002,
  /** Simple Packet Block */
  Spb = 0x00000003,
  /** Enhanced Packet Block */
  Epb = 0x00000006,
}
/** The byte-order magic of a section header. */
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** opt_comment */
const OPT_COMMENT = 1;
/** if_tsresol */
const IF_TSRESOL = 9;
/** epb_flags */
const EPB_FLAGS = 2;
/** A block longer than this is taken for corruption. */
const MAX_BLOCK = 0x1000000;

interface Interface {
  readonly linkType: number;
  readonly snaplen: number;
  /** Timestamp units per second. */
  readonly unitsPerSecond: bigint;
}

const pad4 = (n: number) => (n + 3) & ~3;
const text = new TextDecoder();
const encoder = new TextEncoder();

/** Options of a block: code, value bytes. */
function* options(b: Uint8Array, from: number, little: boolean): Generator<[number, Uint8Array]> {
  const r = reader(b, little);
  let o = from;
  while (o + 4 <= b.length) {
    const code = r.u16(o);
    const len = r.u16(o + 2);
    if (code === 0 || o + 4 + len > b.length) return;
    yield [code, b.subarray(o + 4, o + 4 + len)];
    o += 4 + pad4(len);
  }
}

/** A pcapng stream being read: push chunks in, take packets out. */
export class PcapngReader {
  readonly warnings: CaptureWarning[] = [];
  readonly interfaces: Interface[] = [];
  private q = new ByteQueue();
  private little = true;
  private sections = 0;
  private failed = false;

  push(chunk: Uint8Array): CapturePacket[] {
    if (this.failed) return [];
    this.q.push(chunk);
    const out: CapturePacket[] = [];
    while (this.q.length >= 12) {
      const at = this.q.offset;
      const head = this.q.peek(12);
      const type = reader(head, true).u32(0);
      if (type === Block.Shb) {
        // The byte order is that of the section, told by the magic right after the length.
        const magic = reader(head, true).u32(8);
        if (magic === BYTE_ORDER_MAGIC) this.little = true;
        else if (reader(head, false).u32(8) === BYTE_ORDER_MAGIC) this.little = false;
        else return this.fail(`section header with byte-order magic 0x${magic.toString(16)}`, at + 8);
      } else if (this.sections === 0) {
        return this.fail("not a pcapng file (no section header first)", at);
      }
      const r = reader(head, this.little);
      const len = r.u32(4);
      if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK) return this.fail(`block of type 0x${r.u32(0).toString(16)} has length ${len}`, at + 4);
      if (this.q.length < len) break;
      const block = this.q.take(len);
      const br = reader(block, this.little);
      if (br.u32(len - 4) !== len) return this.fail(`block length ${len} does not match its trailing length ${br.u32(len - 4)}`, at + len - 4);
      const p = this.block(br.u32(0), block.subarray(8, len - 4), at);
      if (p) out.push(p);
    }
    return out;
  }

  end(): void {
    if (this.failed) return;
    if (this.sections === 0) throw new CaptureError("not a pcapng file (no section header)", 0);
    if (this.q.length > 0) this.warnings.push({ offset: this.q.offset, message: `truncated block: ${this.q.length} bytes left at the end, skipped` });
  }

  private fail(message: string, offset: number): never {
    this.failed = true;
    throw new CaptureError(message, offset);
  }

  private skip(offset: number, message: string): undefined {
    this.warnings.push({ offset, message });
    return undefined;
  }

  private block(type: number, body: Uint8Array, at: number): CapturePacket | undefined {
    const r = reader(body, this.little);
    switch (type) {
      case Block.Shb:
        this.sections++;
        this.interfaces.length = 0; // interface ids are per section
        return undefined;
      case Block.Idb: {
        if (body.length < 8) return this.skip(at, "interface description shorter than 8 bytes");
        let unitsPerSecond = 1_000_000n;
        for (const [code, v] of options(body, 8, this.little)) {
          if (code === IF_TSRESOL && v.length >= 1) {
            const res = v[0]!;
            unitsPerSecond = res & 0x80 ? 1n << BigInt(res & 0x7f) : 10n ** BigInt(res);
          }
        }
        this.interfaces.push({ linkType: r.u16(0), snaplen: r.u32(4), unitsPerSecond });
        return undefined;
      }
      case Block.Epb:
      case Block.Pb: {
        if (body.length < 20) return this.skip(at, "packet block shorter than 20 bytes, skipped");
        const id = type === Block.Epb ? r.u32(0) : r.u16(0);
        const iface = this.interfaces[id];
        if (!iface) return this.skip(at, `packet on interface ${id}, which no interface description defined; skipped`);
        const caplen = r.u32(12);
        if (20 + caplen > body.length) return this.skip(at, `packet of ${caplen} bytes in a block of ${body.length}; skipped`);
        const units = (BigInt(r.u32(4)) << 32n) | BigInt(r.u32(8));
        let comment: string | undefined;
        for (const [code, v] of options(body, 20 + pad4(caplen), this.little)) if (code === OPT_COMMENT) comment = text.decode(v);
        return {
          data: body.slice(20, 20 + caplen),
          originalLength: Math.max(r.u32(16), caplen),
          timestampNs: (units * 1_000_000_000n) / iface.unitsPerSecond,
          linkType: iface.linkType,
          interfaceId: id,
          ...(comment === undefined ? {} : { comment }),
        };
      }
      case Block.Spb: {
        const iface = this.interfaces[0];
        if (!iface || body.length < 4) return this.skip(at, "simple packet block without interface 0; skipped");
        const orig = r.u32(0);
        const caplen = Math.min(orig, iface.snaplen || orig, body.length - 4);
        return { data: body.slice(4, 4 + caplen), originalLength: orig, timestampNs: 0n, linkType: iface.linkType, interfaceId: 0 };
      }
      default:
        return undefined;
    }
  }
}

/** Writes pcapng, little-endian, nanosecond timestamps: `header()` (a section and its interfaces), then `packet()`. */
export class PcapngWriter {
  /** One interface per link type given. */
  constructor(readonly linkTypes: readonly number[], readonly snaplen = 262144) {}

  header(): Uint8Array {
    const shb = block(Block.Shb, [u32(BYTE_ORDER_MAGIC), u16(1), u16(0), new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]);
    const idbs = this.linkTypes.map((lt) => block(Block.Idb, [u16(lt), u16(0), u32(this.snaplen), option(IF_TSRESOL, new Uint8Array([9])), endOfOptions()]));
    return concat([shb, ...idbs]);
  }

  /** An enhanced packet block; `outbound` sets epb_flags' direction, `comment` adds opt_comment. */
  packet(p: Pick<CapturePacket, "data" | "timestampNs"> & { interfaceId?: number; originalLength?: number; comment?: string; outbound?: boolean }): Uint8Array {
    const ts = BigInt.asUintN(64, p.timestampNs);
    const opts: Uint8Array[] = [];
    if (p.comment !== undefined) opts.push(option(OPT_COMMENT, encoder.encode(p.comment)));
    if (p.outbound !== undefined) opts.push(option(EPB_FLAGS, u32(p.outbound ? 2 : 1)));
    if (opts.length) opts.push(endOfOptions());
    const data = new Uint8Array(pad4(p.data.length));
    data.set(p.data);
    return block(Block.Epb, [
      u32(p.interfaceId ?? 0), u32(Number(ts >> 32n)), u32(Number(ts & 0xffffffffn)),
      u32(p.data.length), u32(Math.max(p.originalLength ?? 0, p.data.length)), data, ...opts,
    ]);
  }
}

function u16(n: number): Uint8Array { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, n, true); return b; }
function u32(n: number): Uint8Array { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n >>> 0, true); return b; }
function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
function option(code: number, value: Uint8Array): Uint8Array {
  const v = new Uint8Array(pad4(value.length));
  v.set(value);
  return concat([u16(code), u16(value.length), v]);
}
const endOfOptions = () => new Uint8Array(4);
function block(type: number, body: readonly Uint8Array[]): Uint8Array {
  const inner = concat(body);
  const len = 12 + inner.length;
  return concat([u32(type), u32(len), inner, u32(len)]);
}
