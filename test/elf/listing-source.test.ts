/**
 * Source lines in listings come from BTF line_info, and must read as bpftool prints them
 * for the same object once libbpf has loaded it (`bpftool prog dump xlated ... linum`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { readElf } from "../../src/elf/index.js";
import { listObject } from "../../src/object/listing.js";
import { ensureBpffs, kernelAvailable } from "../../src/kernel/index.js";

const here = kernelAvailable();
const bpftool = spawnSync("bpftool", ["version"]).status === 0;
const skip = !here.ok ? `no bpf() here: ${here.reason}` : !bpftool ? "bpftool is not installed" : false;

const OBJECTS = [
  new URL("../../examples/xdp_ports.bpf.o", import.meta.url).pathname,
  new URL("../fixtures/xdp-parser.bpf.o", import.meta.url).pathname,
  new URL("../fixtures/loop.bpf.o", import.meta.url).pathname,
];

/** Each `; source` line with the index of the instruction under it. */
function sourceLines(listing: string): string[] {
  const out: string[] = [];
  let pending: string | undefined;
  for (const line of listing.split("\n")) {
    if (line.startsWith("; ")) pending = line;
    const insn = /^\s*(\d+): \(/.exec(line);
    if (insn && pending) {
      out.push(`${insn[1]} ${pending}`);
      pending = undefined;
    }
  }
  return out;
}

test("source lines read as bpftool's dump of the program libbpf loaded", { skip }, () => {
  const pins = `${ensureBpffs()}/tsbpf-source-lines`;
  try {
    for (const path of OBJECTS) {
      rmSync(pins, { recursive: true, force: true });
      execFileSync("bpftool", ["prog", "loadall", path, pins]);
      const name = readElf(new Uint8Array(readFileSync(path))).symbols.find((s) => s.type === 2 && s.bind === 1)!.name;
      const theirs = sourceLines(execFileSync("bpftool", ["prog", "dump", "xlated", "pinned", `${pins}/${name}`, "linum"], { encoding: "utf8" }));
      const ours = sourceLines(listObject(readElf(new Uint8Array(readFileSync(path))), { syntax: "kernel", source: "linum" }));
      assert.ok(theirs.length > 5, `${path}: bpftool printed only ${theirs.length} source lines`);
      assert.deepEqual(ours, theirs, path);
    }
  } finally {
    rmSync(pins, { recursive: true, force: true });
  }
});
