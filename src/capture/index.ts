/**
 * @fileoverview Packet captures: pcap and pcapng, read from chunks and written to bytes,
 * with the link types programs meet. Node-free: files are streamed at the CLI's edge.
 */

export * from "./types.js";
export * from "./link-types.js";
export { PcapReader, PcapWriter, PCAP_MAGIC_NS, PCAP_MAGIC_US, type PcapHeader, type PcapWriterOptions } from "./pcap.js";
export { PcapngReader, PcapngWriter } from "./pcapng.js";
export { CaptureReader, readCapture, sniffFormat, type CaptureFormat } from "./reader.js";
