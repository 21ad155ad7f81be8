/**
 * @fileoverview npm start: the firewall example's summary over its capture, and where the
 * kernel is there, no difference between the interpreter and the kernel.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { main } from "../../src/cli/main.js";
import { memoryIo } from "../../src/cli/io.js";
import { kernelAvailable } from "../../src/kernel/index.js";

test("npm start prints the firewall example's summary over its capture", async () => {
  const io = memoryIo();
  const code = await main(["demo"], io);
  assert.equal(code, 0, io.stderr);
  assert.match(io.stdout, /^firewall \(xdp\) over traffic\.pcap: 400 packets in the interp engine$/m);
  assert.match(io.stdout, /^ {2}XDP_PASS +\d+ +[\d.]+%$/m);
  assert.match(io.stdout, /^ {2}XDP_DROP +\d+ +[\d.]+%$/m);
  assert.match(io.stdout, /^map blocklist:$/m);
  assert.match(io.stdout, /"key": 1114702027,\n +"value": \d+/); // 203.0.113.66, the scanner
  if (kernelAvailable().ok) assert.match(io.stdout, /^no differences$/m);
  assert.match(io.stdout, /tsbpf run examples\/xdp_dns_filter\.bpf\.o --pcap examples\/dns\.pcapng/);
});
