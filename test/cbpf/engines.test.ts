/**
 * @fileoverview Every corpus expression, compiled by tsbpf and converted by convertClassic,
 * matches the same packets of the corpus captures on the classic interpreter, the eBPF
 * interpreter, the JIT and the kernel (BPF_PROG_TEST_RUN of the socket filter).
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { readCapture } from "../../src/capture/index.js";
import { convertClassic } from "../../src/cbpf/convert.js";
import { runCbpf } from "../../src/cbpf/interpreter.js";
import { compileFilter } from "../../src/cbpf/pcap/index.js";
import { ClassicValidationError } from "../../src/cbpf/validate.js";
import { hostNames } from "../../src/cli/filter-names.js";
import { FILTER_ENGINE_NAMES, prepareFilter, type FilterEngineName } from "../../src/cli/filter-engines.js";
import { skip as noKernel } from "../kernel/helpers.js";

const CAPTURE_OF: Record<string, string> = {
  EN10MB: "ethernet", RAW: "raw", IPV4: "ipv4", IPV6: "ipv6", LINUX_SLL: "sll", LINUX_SLL2: "sll2", NULL: "null", LOOP: "loop",
};

function corpus(): { lt: string; expr: string }[] {
  let lt = "EN10MB";
  const out: { lt: string; expr: string }[] = [];
  for (const raw of readFileSync(new URL("./corpus/expressions.txt", import.meta.url), "utf8").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    if (line.startsWith("@")) { lt = line.slice(1); continue; }
    out.push({ lt, expr: line });
  }
  return out;
}

const captures = new Map<string, Uint8Array[]>();
const packetsOf = (lt: string) => {
  let p = captures.get(lt);
  if (!p) captures.set(lt, (p = readCapture(new Uint8Array(readFileSync(new URL(`./captures/${CAPTURE_OF[lt]}.pcap`, import.meta.url)))).packets.map((x) => x.data)));
  return p;
};

test("corpus expressions match the same packets on cbpf, interp, jit and kernel", (t) => {
  const names = hostNames();
  const engines: FilterEngineName[] = FILTER_ENGINE_NAMES.filter((e) => e !== "cbpf" && (e !== "kernel" || !noKernel));
  const failures: string[] = [];
  let programs = 0, matches = 0, refused = 0;
  for (const { lt, expr } of corpus()) {
    let program;
    try {
      program = compileFilter(expr, { linkType: lt, names, savefile: true }).program;
    } catch { continue; } // refused as tcpdump refuses it: pcap-corpus.test.ts checks that
    let insns;
    try {
      insns = convertClassic(program);
    } catch (e) {
      // Only what the kernel refuses too: protochain's backward `ja` (a socket filter cannot loop).
      assert.ok(e instanceof ClassicValidationError && /jumps out of the program/.test(e.message), `${expr}: ${(e as Error).message}`);
      refused++;
      continue;
    }
    programs++;
    const packets = packetsOf(lt);
    // Every engine sees the captured bytes, `len` included (a socket has no wire length).
    const want = packets.map((p) => runCbpf(program, p, { length: p.length }) !== 0);
    matches += want.filter(Boolean).length;
    for (const engine of engines) {
      const f = prepareFilter(program, engine, insns);
      try {
        const bad = packets.findIndex((p, i) => (f.run(p, p.length) !== 0) !== want[i]);
        if (bad >= 0) failures.push(`${engine}: '${expr}' (${lt}) packet ${bad + 1}: cbpf says ${want[bad] ? "match" : "no match"}`);
      } finally {
        f.close();
      }
    }
  }
  t.diagnostic(`${programs} programs on ${engines.join(", ")}; ${refused} refused by the conversion; ${matches} matches`);
  assert.deepEqual(failures, []);
  assert.ok(programs >= 300, `${programs} programs compared (${refused} refused by the conversion)`);
  assert.ok(matches > 1000, `the expressions match packets (${matches})`);
});
