/**
 * @fileoverview `tsbpf filter` and `tsbpf run --filter` in tcpdump's idioms, against tcpdump:
 * the same count, the same packets written with -w, the same -O listing, refused
 * expressions an error line with the token.
 */

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readCapture } from "../../src/capture/index.js";
import { main } from "../../src/cli/main.js";
import { memoryIo } from "../../src/cli/io.js";

const CAP = new URL("./captures/ethernet.pcap", import.meta.url).pathname;
const hasTcpdump = spawnSync("tcpdump", ["--version"]).status === 0;
const tcpdump = (...args: string[]) => execFileSync("tcpdump", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });

async function tsbpf(...args: string[]) {
  const io = memoryIo();
  const code = await main(args, io);
  return { code, ...io };
}

test("--count prints 'N packets' as tcpdump does, and -c stops early", async (t) => {
  if (!hasTcpdump) { t.skip("tcpdump is not installed"); return; }
  for (const e of ["tcp port 80", "vlan and udp", "ip6 and tcp[tcpflags] & tcp-syn != 0", "host 10.0.0.1 and not port 22"]) {
    const ours = await tsbpf("filter", "-r", CAP, "--count", e);
    assert.equal(ours.code, 0);
    // tcpdump refuses a filter its optimizer proves false (tcp[] reads IPv4 only): 0 packets.
    const r = spawnSync("tcpdump", ["-r", CAP, "--count", "--", e], { encoding: "utf8" });
    const theirs = r.status === 0 ? r.stdout.trim() : /rejects all packets/.test(r.stderr) ? "0 packets" : r.stderr;
    assert.equal(ours.stdout.trim(), theirs, e);
  }
  const three = await tsbpf("filter", "-r", CAP, "-c", "3", "udp");
  assert.equal(three.stdout.trim().split("\n").length, 3);
  assert.match(three.stdout, /^\d\d:\d\d:\d\d\.\d{6} IP6? \S+ > \S+: UDP, length \d+$/m);
});

test("-w writes the packets tcpdump -w writes", async (t) => {
  if (!hasTcpdump) { t.skip("tcpdump is not installed"); return; }
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-filter-"));
  try {
    const e = "udp or icmp6";
    assert.equal((await tsbpf("filter", "-r", CAP, "-w", join(dir, "ours.pcap"), e)).code, 0);
    execFileSync("tcpdump", ["-r", CAP, "-w", join(dir, "theirs.pcap"), "--", e], { stdio: "ignore" });
    const ours = readCapture(readFileSync(join(dir, "ours.pcap"))).packets;
    const theirs = readCapture(readFileSync(join(dir, "theirs.pcap"))).packets;
    assert.ok(theirs.length > 10);
    assert.deepEqual(ours.map((p) => [p.data, p.timestampNs / 1000n]), theirs.map((p) => [p.data, p.timestampNs / 1000n]));
  } finally { rmSync(dir, { recursive: true }); }
});

test("-O -d, -dd and -ddd print what tcpdump prints", async (t) => {
  if (!hasTcpdump) { t.skip("tcpdump is not installed"); return; }
  for (const flag of ["-d", "-dd", "-ddd"]) {
    for (const [lt, e] of [["EN10MB", "tcp port 80"], ["LINUX_SLL2", "ip6 and udp"], ["RAW", "host 10.0.0.1"]] as const) {
      const ours = await tsbpf("filter", flag, "-O", "-y", lt, e);
      assert.equal(ours.stdout, tcpdump(flag, "-O", "-y", lt, "--", e), `${flag} ${lt} ${e}`);
    }
  }
});

test("an expression tcpdump refuses is one error line naming the token", async () => {
  const r = await tsbpf("filter", "-d", "host 10.0.0.1 and port 70000");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^tsbpf filter: illegal port number 70000 > 65535 \(at '70000', column 24\)\n$/);
  const s = await tsbpf("filter", "-d", "tcp and and udp");
  assert.match(s.stderr, /syntax error \(at 'and', column 9\)/);
});

test("run --pcap --filter: the program sees only the matching packets", async (t) => {
  if (!hasTcpdump) { t.skip("tcpdump is not installed"); return; }
  const obj = new URL("../../examples/xdp_dns_filter.bpf.o", import.meta.url).pathname;
  const pcap = new URL("../../examples/traffic.pcap", import.meta.url).pathname;
  const r = await tsbpf("run", obj, "--pcap", pcap, "--filter", "udp port 53");
  assert.equal(r.code, 0);
  const want = tcpdump("-r", pcap, "--count", "udp port 53").trim().split(" ")[0];
  assert.match(r.stdout, new RegExp(`over traffic\\.pcap: ${want} packets`));
});
