/**
 * @fileoverview Every bundled example over its capture gives the same verdicts, output
 * packets and maps in the interpreter and in the kernel (`tsbpf run --compare`), and the
 * summaries say what the examples are for.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { EXAMPLE_CAPTURES } from "../../src/cli/demo.js";
import { memoryIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { HELPER_NAMES } from "../../src/helpers/names.js";
import { installHelpers } from "../../src/helpers/table.js";
import { loadObjectSpec } from "../../src/object/index.js";
import { HelperRegistry } from "../../src/runtime/helpers.js";
import { skip } from "../kernel/helpers.js";

const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;

/** Helpers an example calls that the runtime does not implement yet. */
function missingHelpers(object: string): string[] {
  const registry = installHelpers(new HelperRegistry());
  const spec = loadObjectSpec(new Uint8Array(readFileSync(EXAMPLES + object)), { name: object });
  const ids = new Set(spec.programs.flatMap((p) => p.instructions.filter((i) => i.opcode === 0x85 && i.src === 0).map((i) => Number(i.imm))));
  return [...ids].filter((id) => !registry.get(id)).map((id) => HELPER_NAMES[id] ?? `#${id}`);
}

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(["run", ...argv], io);
  return { code, ...io };
}

for (const [object, capture] of Object.entries(EXAMPLE_CAPTURES)) {
  const missing = missingHelpers(object);
  const why = skip || (missing.length ? `the runtime has no ${missing.join(", ")} yet` : false);
  test(`${object} over ${capture}: the interpreter and the kernel agree on every packet`, { skip: why }, async () => {
    const r = await run(EXAMPLES + object, "--pcap", EXAMPLES + capture, "--compare", "interp,kernel");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^no differences$/m);
  });
}

test("the firewall blocks the SSH scanner after three tries and keeps the admin network's session", async () => {
  const r = await run(EXAMPLES + "xdp_firewall.bpf.o", "--pcap", EXAMPLES + "traffic.pcap", "--json");
  const s = JSON.parse(r.stdout);
  assert.equal(s.packets, 400);
  assert.deepEqual(s.maps.strikes, [{ key: 1114702027, value: 3 }]); // 203.0.113.66
  assert.equal(s.maps.blocklist.length, 1);
  assert.equal(s.verdicts.XDP_DROP, 3 + s.maps.blocklist[0].value);
});

test("the DNS filter drops the blocked names and counts queries by type", async () => {
  const s = JSON.parse((await run(EXAMPLES + "xdp_dns_filter.bpf.o", "--pcap", EXAMPLES + "dns.pcapng", "--json")).stdout);
  const hits = s.maps.hits.reduce((n: number, e: { value: number }) => n + e.value, 0);
  assert.equal(s.verdicts.XDP_DROP, hits);
  const types = Object.fromEntries(s.maps.qtypes.map((e: { key: number; value: number }) => [e.key, e.value]));
  assert.equal(types[1] + types[28] + types[15], 120);
});

test("the tc example marks traffic and shoots what exceeds a source's burst, by the capture's timestamps", async () => {
  const s = JSON.parse((await run(EXAMPLES + "tc_mark_ratelimit.bpf.o", "--pcap", EXAMPLES + "traffic.pcap", "--json")).stdout);
  const dropped = s.maps.buckets.reduce((n: number, e: { value: { dropped: number } }) => n + e.value.dropped, 0);
  assert.equal(s.verdicts.TC_ACT_SHOT, dropped);
  assert.ok(dropped > 0);
  const marked = s.maps.marks.reduce((n: number, e: { value: number }) => n + e.value, 0);
  // Every IPv4 packet let through is marked; ARP and IPv6 pass unmarked.
  assert.ok(marked > 0 && marked < s.verdicts.TC_ACT_OK, `${marked} of ${s.verdicts.TC_ACT_OK}`);
});
