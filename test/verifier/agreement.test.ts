/**
 * @fileoverview tsbpf's verifier against the kernel's on the agreement suite: the same
 * verdict, and a rejection for the same reason, on each small program of cases.ts.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import type { KernelMap } from "../../src/kernel/index.js";
import type { MapSpec } from "../../src/object/types.js";
import { verifyProgram } from "../../src/verifier/index.js";
import { skip } from "../kernel/helpers.js";
import { CASES, MAPS } from "./cases.js";
import { build, createMaps, disagreement, kernelVerdict } from "./cases-kernel.js";

for (const c of CASES) {
  test(`verifier agrees: ${c.name}`, () => {
    const { instructions, references } = build(c);
    const r = verifyProgram({ instructions, references, license: c.license ?? "GPL", ...(c.flags ? { flags: c.flags } : {}) }, { maps: MAPS as MapSpec[], type: c.type ?? "xdp", ...(c.attachType ? { attachType: c.attachType } : {}), ...(c.unpriv ? { privileged: false } : {}) });
    if (c.accept) assert.ok(r.accepted, `tsbpf rejected: ${r.error?.message}\n${r.log}`);
    else {
      assert.ok(!r.accepted, "tsbpf accepted");
      assert.match([...r.error!.detail, r.error!.message].join("\n"), c.reject!);
    }
  });
}

test("the kernel agrees with the suite", { skip }, () => {
  let maps = new Map<string, KernelMap>();
  try {
    maps = createMaps();
    const wrong: string[] = [];
    for (const c of CASES) {
      if (c.kernelSkip || c.unpriv) continue;
      const d = disagreement(c, kernelVerdict(c, maps));
      if (d) wrong.push(d);
    }
    assert.deepEqual(wrong, []);
  } finally {
    for (const m of maps.values()) m.close();
  }
});

/** Why the unprivileged cases cannot be loaded as an unprivileged user here, or false. */
function unprivSkip(): false | string {
  if (skip) return skip;
  if (process.getuid?.() !== 0) return "needs root, to load as uid 65534";
  let disabled = "";
  try {
    disabled = readFileSync("/proc/sys/kernel/unprivileged_bpf_disabled", "utf8").trim();
  } catch {
    return "no /proc/sys/kernel/unprivileged_bpf_disabled";
  }
  return disabled === "0" ? false : `kernel.unprivileged_bpf_disabled=${disabled} (set it to 0 to compare)`;
}

test("the kernel agrees with the suite's unprivileged cases", { skip: unprivSkip() }, (t) => {
  // A child without root's uid has no capabilities: it loads each case and prints the verdicts.
  const child = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./unpriv-load.ts", import.meta.url))], {
    uid: 65534, gid: 65534, encoding: "utf8", cwd: fileURLToPath(new URL("../..", import.meta.url)),
  });
  assert.equal(child.status, 0, child.stderr);
  const out: string[] | { skip: string } = JSON.parse(child.stdout);
  if (!Array.isArray(out)) return t.skip(`unprivileged maps refused: ${out.skip}`);
  assert.deepEqual(out, []);
});
