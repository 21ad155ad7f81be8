/**
 * @fileoverview What the capture readers give and the writers take: one packet with its
 * interface, link type and time; and the error a malformed capture raises, with the
 * byte offset where the reader found the problem.
 */

import { BpfError } from "../errors.js";

/** One captured packet. */
export interface CapturePacket {
  /** The bytes captured (at most the snap length). */
  readonly data: Uint8Array;
  /** The packet's length on the wire; more than `data.length` when the capture cut it. */
  readonly originalLength: number;
  /** Nanoseconds since the epoch. */
  readonly timestampNs: bigint;
  /** The link type of its interface (LINKTYPE_*: 1 Ethernet, 101 raw IP...). */
  readonly linkType: number;
  /** The pcapng interface it came from (0 in pcap files). */
  readonly interfaceId: number;
  /** A pcapng comment (opt_comment), as tsbpf writes verdicts. */
  readonly comment?: string;
}

/** A capture the readers cannot go on with, at `offset` bytes into the stream. */
export class CaptureError extends BpfError {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super("EINVAL", `capture offset ${offset}: ${message}`);
    this.offset = offset;
  }
}

/** A record the readers skipped, with where and why. */
export interface CaptureWarning {
  readonly offset: number;
  readonly message: string;
}
