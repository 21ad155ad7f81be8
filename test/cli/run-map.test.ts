/**
 * @fileoverview `tsbpf map dump FILE.o NAME`: one map after a run, printed as the run's own
 * summary prints it (bpftool's form), as JSON entries, in the kernel engine too; an unknown
 * map is an error naming the maps there are.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { memoryIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { kernelAvailable } from "../../src/kernel/index.js";

const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;
const FIREWALL = [EXAMPLES + "xdp_firewall.bpf.o"];
const CAPTURE = ["--pcap", EXAMPLES + "traffic.pcap"];

async function cli(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, ...io };
}

test("map dump prints one map after the run, as the run's summary does", async () => {
  const summary = await cli("run", ...FIREWALL, ...CAPTURE);
  const dump = await cli("map", "dump", ...FIREWALL, "strikes", ...CAPTURE);
  assert.equal(dump.code, 0, dump.stderr);
  const inSummary = summary.stdout.split("map strikes:\n")[1]!.split("\nmap ")[0]!.split("\n").map((l) => l.replace(/^ {2}/, "")).join("\n");
  assert.ok(inSummary.startsWith(dump.stdout.trimEnd()), `${dump.stdout}\n---\n${inSummary}`);
  const json = JSON.parse((await cli("map", "dump", ...FIREWALL, "strikes", ...CAPTURE, "--json")).stdout);
  assert.deepEqual(json, [{ key: 1114702027, value: 3 }]);
  if (kernelAvailable().ok) {
    const k = JSON.parse((await cli("map", "dump", ...FIREWALL, "strikes", ...CAPTURE, "--engine", "kernel", "--json")).stdout);
    assert.deepEqual(k, json);
  }
  const bad = await cli("map", "dump", ...FIREWALL, "nope", ...CAPTURE);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /no map nope to dump \(blocklist, strikes, verdicts\)/);
});
