/**
 * @fileoverview One streaming reader for both formats, chosen by the first four bytes:
 * `push` chunks as they arrive and get packets back; `end` when the stream is done.
 */

import { PCAP_MAGIC_NS, PCAP_MAGIC_US, PcapReader } from "./pcap.js";
import { PcapngReader } from "./pcapng.js";
import { CaptureError, type CapturePacket, type CaptureWarning } from "./types.js";

export type CaptureFormat = "pcap" | "pcapng";

/** The format the first four bytes announce, if any. */
export function sniffFormat(head: Uint8Array): CaptureFormat | undefined {
  if (head.length < 4) return undefined;
  const v = new DataView(head.buffer, head.byteOffset, 4);
  if (v.getUint32(0, true) === 0x0a0d0d0a) return "pcapng";
  const le = v.getUint32(0, true);
  const be = v.getUint32(0, false);
  if ([PCAP_MAGIC_US, PCAP_MAGIC_NS].includes(le) || [PCAP_MAGIC_US, PCAP_MAGIC_NS].includes(be)) return "pcap";
  return undefined;
}

/** Reads pcap or pcapng from chunks. */
export class CaptureReader {
  private inner: PcapReader | PcapngReader | undefined;
  private head = new Uint8Array(0);

  get format(): CaptureFormat | undefined { return this.inner instanceof PcapReader ? "pcap" : this.inner ? "pcapng" : undefined; }
  get warnings(): readonly CaptureWarning[] { return this.inner?.warnings ?? []; }

  push(chunk: Uint8Array): CapturePacket[] {
    if (this.inner) return this.inner.push(chunk);
    const head = new Uint8Array(this.head.length + chunk.length);
    head.set(this.head);
    head.set(chunk, this.head.length);
    if (head.length < 4) { this.head = head; return []; }
    const format = sniffFormat(head);
    if (!format) throw new CaptureError(`not a pcap or pcapng file (starts ${Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ")})`, 0);
    this.inner = format === "pcap" ? new PcapReader() : new PcapngReader();
    return this.inner.push(head);
  }

  end(): void {
    if (!this.inner) throw new CaptureError(`file of ${this.head.length} bytes is too short to be a capture`, 0);
    this.inner.end();
  }
}

/** Every packet of a capture held in memory; warnings for skipped records. */
export function readCapture(bytes: Uint8Array): { packets: CapturePacket[]; warnings: readonly CaptureWarning[]; format: CaptureFormat } {
  const r = new CaptureReader();
  const packets = r.push(bytes);
  r.end();
  return { packets, warnings: r.warnings, format: r.format! };
}
