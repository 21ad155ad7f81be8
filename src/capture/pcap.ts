/**
 * @fileoverview The classic pcap format (tcpdump's, libpcap's `savefile`): a 24-byte file
 * header whose magic gives the byte order and the timestamp unit (micro or nanoseconds),
 * then 16-byte record headers each followed by the bytes captured.
 */

import { ByteQueue, reader } from "./bytes.js";
import { CaptureError, type CapturePacket, type CaptureWarning } from "./types.js";

/** TCPDUMP_MAGIC: microsecond timestamps */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
/** NSEC_TCPDUMP_MAGIC: nanosecond timestamps */
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/** A record longer than this is taken for corruption, not a packet (libpcap's 256 KiB, times four). */
const MAX_RECORD = 0x100000;

/** The file header's facts. */
export interface PcapHeader {
  readonly littleEndian: boolean;
  readonly nanosecond: boolean;
  readonly snaplen: number;
  readonly linkType: number;
  readonly version: string;
}

/** A pcap stream being read: push chunks in, take packets out. */
export class PcapReader {
  header: PcapHeader | undefined;
  readonly warnings: CaptureWarning[] = [];
  private q = new ByteQueue();
  private failed = false;

  /** Adds bytes; returns the packets they complete. Throws CaptureError on a header that cannot be read. */
  push(chunk: Uint8Array): CapturePacket[] {
    if (this.failed) return [];
    this.q.push(chunk);
    const out: CapturePacket[] = [];
    if (!this.header) {
      if (this.q.length < 24) return out;
      this.header = this.readHeader(this.q.take(24));
    }
    const h = this.header;
    while (this.q.length >= 16) {
      const at = this.q.offset;
      const r = reader(this.q.peek(16), h.littleEndian);
      const caplen = r.u32(8);
      const origlen = r.u32(12);
      if (caplen > MAX_RECORD) {
        this.failed = true;
        throw new CaptureError(`record of ${caplen} bytes (more than ${MAX_RECORD}): the file is corrupt`, at);
      }
      if (this.q.length < 16 + caplen) break;
      this.q.take(16);
      const frac = BigInt(r.u32(4));
      const ts = BigInt(r.u32(0)) * 1_000_000_000n + (h.nanosecond ? frac : frac * 1000n);
      out.push({ data: this.q.take(caplen).slice(), originalLength: Math.max(origlen, caplen), timestampNs: ts, linkType: h.linkType, interfaceId: 0 });
    }
    return out;
  }

  /** The stream ended: a partial record left over is a warning (the packets before it stand). */
  end(): void {
    if (this.failed) return;
    if (!this.header) throw new CaptureError(`file of ${this.q.length} bytes is shorter than the 24-byte pcap header`, 0);
    if (this.q.length > 0) this.warnings.push({ offset: this.q.offset, message: `truncated record: ${this.q.length} bytes left at the end, skipped` });
  }

  private readHeader(b: Uint8Array): PcapHeader {
    const le = reader(b, true).u32(0);
    const be = reader(b, false).u32(0);
    const magic = [PCAP_MAGIC_US, PCAP_MAGIC_NS].includes(le) ? le : [PCAP_MAGIC_US, PCAP_MAGIC_NS].includes(be) ? be : undefined;
    if (magic === undefined) throw new CaptureError(`not a pcap file (magic 0x${be.toString(16).padStart(8, "0")})`, 0);
    const littleEndian = magic === le;
    const r = reader(b, littleEndian);
    const major = r.u16(4);
    if (major !== 2) throw new CaptureError(`pcap version ${major}.${r.u16(6)} (only 2.x is defined)`, 4);
    return { littleEndian, nanosecond: magic === PCAP_MAGIC_NS, snaplen: r.u32(16), linkType: r.u32(20) & 0x0fffffff, version: `${major}.${r.u16(6)}` };
  }
}

/** Options of a pcap file being written. */
export interface PcapWriterOptions {
  readonly linkType: number;
  /** Nanosecond timestamps (NSEC_TCPDUMP_MAGIC); microseconds by default. */
  readonly nanosecond?: boolean;
  readonly snaplen?: number;
}

/** Writes pcap: `header()` once, then `packet()` for each; both return the bytes to append. */
export class PcapWriter {
  constructor(readonly options: PcapWriterOptions) {}

  header(): Uint8Array {
    const b = new Uint8Array(24);
    const v = new DataView(b.buffer);
    v.setUint32(0, this.options.nanosecond ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setUint32(16, this.options.snaplen ?? 262144, true);
    v.setUint32(20, this.options.linkType, true);
    return b;
  }

  packet(p: Pick<CapturePacket, "data" | "timestampNs"> & { originalLength?: number }): Uint8Array {
    const b = new Uint8Array(16 + p.data.length);
    const v = new DataView(b.buffer);
    const sec = p.timestampNs / 1_000_000_000n;
    const ns = p.timestampNs % 1_000_000_000n;
    v.setUint32(0, Number(BigInt.asUintN(32, sec)), true);
    v.setUint32(4, Number(this.options.nanosecond ? ns : ns / 1000n), true);
    v.setUint32(8, p.data.length, true);
    v.setUint32(12, Math.max(p.originalLength ?? 0, p.data.length), true);
    b.set(p.data, 16);
    return b;
  }
}
