/**
 * @fileoverview The filter compiler against tcpdump on this machine: every expression of
 * corpus/expressions.txt lists the same unoptimized program as `tcpdump -O -d -y LT`, and
 * counts the same packets of the capture of that link type as `tcpdump -r CAP --count`
 * (tsbpf's count runs the cBPF interpreter over the packets); every line of
 * corpus/malformed.txt is refused by both, ours naming the token.
 */

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { readCapture } from "../../src/capture/index.js";
import { runCbpf } from "../../src/cbpf/interpreter.js";
import { compileFilter, FilterError } from "../../src/cbpf/pcap/index.js";
import { formatListing } from "../../src/cbpf/text.js";
import { hostNames } from "../../src/cli/filter-names.js";

const dir = new URL("./corpus/", import.meta.url);
const CAPTURE_OF: Record<string, string> = {
  EN10MB: "ethernet", RAW: "raw", LINUX_SLL: "sll", LINUX_SLL2: "sll2", NULL: "null", LOOP: "loop",
};
const names = hostNames();

function corpus(file: string): { lt: string; expr: string }[] {
  let lt = "EN10MB";
  const out: { lt: string; expr: string }[] = [];
  for (const raw of readFileSync(new URL(file, dir), "utf8").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    if (line.startsWith("@")) { lt = line.slice(1); continue; }
    out.push({ lt, expr: line });
  }
  return out;
}

const hasTcpdump = spawnSync("tcpdump", ["--version"]).status === 0;

/** One shell for a whole batch: tcpdump's listing and, given a capture, its count, per expression. */
function tcpdumpBatch(lt: string, exprs: string[], capture?: string): { listing: string; count?: string }[] {
  const script = `while IFS= read -r e; do echo "@@@"; tcpdump -O -d -y "$1" -- "$e" 2>&1; echo "%%% $?";
    if [ -n "$2" ]; then tcpdump -r "$2" --count -- "$e" 2>&1 | tail -n 1; fi; done`;
  const out = execFileSync("bash", ["-c", script, "batch", lt, capture ?? ""], { input: exprs.join("\n") + "\n", encoding: "utf8", maxBuffer: 1 << 28 });
  return out.split("@@@\n").slice(1).map((chunk) => {
    const [listing, rest] = chunk.split(/%%% /);
    const [status, count] = rest!.split("\n");
    return { listing: status === "0" ? listing! : `error: ${listing!.trim()}`, count: capture ? count : undefined };
  });
}

test("the corpus covers every part of the language (300+ expressions)", () => {
  const all = corpus("expressions.txt");
  assert.ok(all.length >= 300, `${all.length} expressions`);
  for (const lt of Object.keys(CAPTURE_OF)) assert.ok(all.some((e) => e.lt === lt), `link type ${lt}`);
});

test("listings and packet counts equal tcpdump's on every corpus expression", (t) => {
  if (!hasTcpdump) { t.skip("tcpdump is not installed"); return; }
  const all = corpus("expressions.txt");
  const failures: string[] = [];
  let counted = 0;
  for (const lt of Object.keys(CAPTURE_OF)) {
    const group = all.filter((e) => e.lt === lt).map((e) => e.expr);
    const capPath = new URL(`./captures/${CAPTURE_OF[lt]}.pcap`, import.meta.url).pathname;
    const { packets } = readCapture(readFileSync(capPath));
    const theirs = tcpdumpBatch(lt, group, capPath);
    group.forEach((expr, i) => {
      const want = theirs[i]!;
      let listing: string;
      try { listing = formatListing(compileFilter(expr, { linkType: lt, optimize: false, names }).program); } catch (e) {
        if (!(e instanceof FilterError)) throw e;
        listing = `error: ${e.message}`;
      }
      if (want.listing.startsWith("error:") !== listing.startsWith("error:") || (!listing.startsWith("error:") && listing !== want.listing)) {
        failures.push(`${lt} '${expr}' listing:\n--- tcpdump\n${want.listing}--- tsbpf\n${listing}`);
      }
      // tcpdump's optimizer refuses a filter it proves false: that filter counts 0 packets.
      const m = want.count?.match(/^(\d+) packets?$/) ?? (/expression rejects all packets/.test(want.count ?? "") ? [, "0"] : null);
      let ours: number | undefined;
      try {
        const { program } = compileFilter(expr, { linkType: lt, names, savefile: true });
        ours = packets.filter((p) => runCbpf(program, p.data, { length: p.originalLength }) > 0).length;
      } catch (e) {
        if (!(e instanceof FilterError)) throw e;
      }
      if ((m ? Number(m[1]) : undefined) !== ours) failures.push(`${lt} '${expr}' count: tcpdump ${want.count}, tsbpf ${ours}`);
      else if (m) counted++;
    });
  }
  assert.deepEqual(failures, []);
  assert.ok(counted > 250, `${counted} expressions counted`);
});

test("malformed expressions are refused by tcpdump and by tsbpf, naming the token", (t) => {
  const bad = corpus("malformed.txt");
  assert.ok(bad.length >= 100, `${bad.length} malformed expressions`);
  const theirs = hasTcpdump ? tcpdumpBatch("EN10MB", bad.map((b) => b.expr)) : undefined;
  if (!theirs) t.diagnostic("tcpdump is not installed: checking tsbpf's side only");
  const failures: string[] = [];
  bad.forEach(({ expr }, i) => {
    if (theirs && !theirs[i]!.listing.startsWith("error:")) failures.push(`tcpdump accepts '${expr}'`);
    try {
      compileFilter(expr, { linkType: "EN10MB", names, optimize: false });
      failures.push(`tsbpf accepts '${expr}'`);
    } catch (e) {
      if (!(e instanceof FilterError)) { failures.push(`'${expr}': ${String(e)}`); return; }
      const named = e.token === "" ? /end of expression/.test(e.message) : e.token !== undefined && e.message.includes(`'${e.token}'`) && expr.includes(e.token);
      if (!named) failures.push(`'${expr}': message names no token: ${e.message}`);
    }
  });
  assert.deepEqual(failures, []);
});

test("the optimizer never changes which whole packets match, and never lengthens a program", () => {
  const failures: string[] = [];
  for (const { lt, expr } of corpus("expressions.txt")) {
    let plain, optimized;
    try {
      plain = compileFilter(expr, { linkType: lt, names, optimize: false }).program;
      optimized = compileFilter(expr, { linkType: lt, names }).program;
    } catch (e) {
      if (!(e instanceof FilterError)) throw e;
      continue;
    }
    if (optimized.length > plain.length) failures.push(`${lt} '${expr}': ${optimized.length} > ${plain.length} instructions`);
    const { packets } = readCapture(readFileSync(new URL(`./captures/${CAPTURE_OF[lt]}.pcap`, import.meta.url)));
    // Packets cut short are left out: there libpcap's optimizer itself changes the answer
    // (a load it folds away can no longer fail), and the counts above follow tcpdump's.
    for (const p of packets) {
      if (p.data.length < p.originalLength) continue;
      const a = runCbpf(plain, p.data, { length: p.originalLength }) > 0, b = runCbpf(optimized, p.data, { length: p.originalLength }) > 0;
      if (a !== b) { failures.push(`${lt} '${expr}': packet of ${p.data.length} bytes ${a ? "lost" : "gained"}`); break; }
    }
  }
  assert.deepEqual(failures, []);
});
