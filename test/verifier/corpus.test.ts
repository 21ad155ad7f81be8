/**
 * @fileoverview The corpus of real-world-style programs (test/verifier/corpus/README.md):
 * tsbpf's verdict on each must equal the kernel's, asked in the same run where bpf() works,
 * else as recorded in kernel-verdicts.json. Known gaps are listed with their reason, and a
 * gap that starts agreeing fails the test so that the list stays honest.
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { explain, verifyObject, type ProgramVerdict } from "../../src/verifier/index.js";
import { kernelBtf } from "../../src/object/host.js";
import { skip } from "../kernel/helpers.js";
import { corpusObjects, kernelVerdict, meantToLoad, openCorpus, VERDICTS_FILE, type KernelVerdict } from "./corpus/corpus.js";

/**
 * Programs on which tsbpf disagrees with the kernel today, `object/program`: the first error
 * line tsbpf gives and what the kernel does. The verifier engineer's work list
 * (src/verifier/CORPUS.md ranks them).
 */
const KNOWN_GAPS: Readonly<Record<string, string>> = {
  // A byte-wise option walk compiled for -mcpu=v4: tsbpf sees the same state twice in the loop.
};

/**
 * Near misses on which both reject but tsbpf names the fault in other words than the kernel's
 * log: `object/program` to tsbpf's words and the kernel's.
 */
const WORDING_GAPS: Readonly<Record<string, string>> = {
};

const recorded: readonly KernelVerdict[] = existsSync(VERDICTS_FILE) ? (JSON.parse(readFileSync(VERDICTS_FILE, "utf8")) as { verdicts: KernelVerdict[] }).verdicts : [];
const recordedOf = (object: string, program: string) => recorded.find((v) => v.object === object && v.program === program);

const verdicts = new Map<string, ProgramVerdict[]>();
const hostBtf = kernelBtf();
function tsbpfVerdicts(object: string): ProgramVerdict[] {
  let v = verdicts.get(object);
  if (!v) verdicts.set(object, (v = verifyObject(openCorpus(object), hostBtf ? { kernelBtf: hostBtf } : {})));
  return v;
}

/** The mismatches and the gaps that now agree, given the kernel's verdict on each program. */
function disagreements(object: string, ours: readonly ProgramVerdict[], kernelAccepts: (program: string) => boolean | undefined): string[] {
  const wrong: string[] = [];
  for (const v of ours) {
    const key = `${object}/${v.name}`;
    const kernel = kernelAccepts(v.name);
    if (kernel === undefined) {
      wrong.push(`${key}: no recorded kernel verdict (run scripts/build-corpus.sh)`);
      continue;
    }
    const agrees = kernel === v.accepted;
    if (key in KNOWN_GAPS) {
      if (agrees) wrong.push(`${key}: listed as a known gap but tsbpf now agrees with the kernel (${kernel ? "accepted" : "rejected"}): remove it from KNOWN_GAPS`);
    } else if (!agrees) {
      wrong.push(`${key}: kernel ${kernel ? "accepts" : "rejects"}, tsbpf ${v.accepted ? "accepts" : `rejects: ${explain(v.detail!)}`}`);
    }
  }
  return wrong;
}

test("every corpus object has a recorded kernel verdict, as its source meant", () => {
  assert.ok(corpusObjects().length >= 35 && corpusObjects().filter((o) => !meantToLoad(o)).length >= 10, "the corpus has its programs");
  for (const object of corpusObjects()) {
    for (const p of openCorpus(object).programs) {
      const r = recordedOf(object, p.name);
      assert.ok(r, `${object}/${p.name} has no recorded verdict`);
      // Real-world programs are accepted ones; the near misses (bad-*) are rejected.
      assert.equal(r.accepted, meantToLoad(object), `${object}/${p.name}: the kernel ${r.accepted ? "accepted" : `rejected (${r.error})`}`);
    }
  }
});

test("every known gap names a program of the corpus", () => {
  for (const key of Object.keys(KNOWN_GAPS)) {
    const [object, program] = key.split("/") as [string, string];
    assert.ok(recordedOf(object, program), `${key} is not in the corpus`);
  }
});

for (const object of corpusObjects()) {
  test(`tsbpf's verdicts on ${object} equal the kernel's recorded ones`, () => {
    assert.deepEqual(disagreements(object, tsbpfVerdicts(object), (p) => recordedOf(object, p)?.accepted), []);
  });
}

/** Numbers and register names taken out, so that `Unreleased reference id=1` matches `id=2`. */
const shape = (line: string) => line.replace(/\bR\d+\b/g, "Rn").replace(/\d+/g, "N").trim();

test("tsbpf rejects each near miss for the fault the kernel's log names", () => {
  const wrong: string[] = [];
  for (const object of corpusObjects().filter((o) => !meantToLoad(o))) {
    for (const v of tsbpfVerdicts(object)) {
      const key = `${object}/${v.name}`;
      if (key in KNOWN_GAPS) continue; // a verdict gap, not one of wording
      const kernelLines = (recordedOf(object, v.name)?.log ?? "").split("\n").map(shape);
      const same = !v.accepted && kernelLines.includes(shape(v.error!));
      if (key in WORDING_GAPS) {
        if (same) wrong.push(`${key}: listed in WORDING_GAPS but tsbpf now says what the kernel says: remove it`);
      } else if (!same) wrong.push(`${key}: tsbpf says ${JSON.stringify(v.error)}, the kernel's log ends ${JSON.stringify(kernelLines.slice(-6))}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test("tsbpf's verdicts equal the running kernel's", { skip }, async () => {
  // Both relocated against this kernel's BTF, as `tsbpf verify` and libbpf would.
  const vmlinux = kernelBtf();
  const wrong: string[] = [];
  for (const object of corpusObjects()) {
    const live = new Map<string, boolean>();
    const spec = openCorpus(object, vmlinux);
    for (const p of spec.programs) live.set(p.name, (await kernelVerdict(object, p.name, vmlinux))!.accepted);
    wrong.push(...disagreements(object, verifyObject(spec, vmlinux ? { kernelBtf: vmlinux } : {}), (p) => live.get(p)));
  }
  assert.deepEqual(wrong, []);
});
