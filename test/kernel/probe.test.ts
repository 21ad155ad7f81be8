/**
 * @fileoverview The feature probes and `tsbpf kernel probe` against the real kernel.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { kernelCommand } from "../../src/cli/kernel.js";
import { probeHelper, probeMapType, probeProgramType } from "../../src/kernel/index.js";
import { skip } from "./helpers.js";

test("the probes see the program and map types every current kernel has", { skip }, () => {
  assert.deepEqual(probeProgramType("xdp"), { name: "xdp", available: true });
  assert.deepEqual(probeProgramType("syscall"), { name: "syscall", available: true });
  assert.deepEqual(probeMapType("ringbuf"), { name: "ringbuf", available: true });
  assert.deepEqual(probeMapType("sk_storage"), { name: "sk_storage", available: true }, "with the BTF it needs");
  assert.equal(probeProgramType("unspec").available, false);
});

test("a helper probe tells allowed helpers from forbidden ones", { skip }, () => {
  assert.equal(probeHelper("socket_filter", 1), true, "bpf_map_lookup_elem");
  assert.equal(probeHelper("socket_filter", 23), false, "bpf_redirect is for tc and xdp");
  assert.equal(probeHelper("xdp", 23), true);
  assert.equal(probeHelper("syscall", 166), true, "bpf_sys_bpf");
  assert.equal(probeHelper("socket_filter", 166), false);
  assert.equal(probeHelper("socket_filter", 10_000), false, "no such helper");
});

test("tsbpf kernel probe --json prints one JSON object", { skip }, async () => {
  const lines: string[] = [];
  assert.equal(await kernelCommand(["probe", "--json"], (l) => lines.push(l)), 0);
  assert.equal(lines.length, 1);
  const report = JSON.parse(lines[0]!);
  assert.equal(report.available, true);
  assert.ok(report.programTypes.find((p: { name: string }) => p.name === "socket_filter").available);
  assert.ok(report.mapTypes.find((p: { name: string }) => p.name === "hash").available);
  assert.ok(report.helpers.xdp.includes("bpf_redirect"));
  assert.ok(!report.helpers.socket_filter.includes("bpf_redirect"));
  assert.ok(report.misc.find((p: { name: string }) => p.name === "bounded loop support").available);
});

test("tsbpf kernel probe prints bpftool-like lines", { skip }, async () => {
  const lines: string[] = [];
  assert.equal(await kernelCommand(["probe"], (l) => lines.push(l)), 0);
  assert.ok(lines.includes("eBPF program_type xdp is available"));
  assert.ok(lines.includes("eBPF map_type lru_hash is available"));
  assert.ok(lines.includes("eBPF helpers supported for program type xdp:"));
  assert.ok(lines.includes("\t- bpf_xdp_adjust_head"));
});

test("tsbpf kernel with no or an unknown subcommand prints its usage", async () => {
  const lines: string[] = [];
  assert.equal(await kernelCommand([], (l) => lines.push(l)), 2);
  assert.match(lines.join("\n"), /usage: tsbpf kernel probe/);
  assert.equal(await kernelCommand(["--help"], () => {}), 0);
});
