/**
 * What the loader reads of the running kernel, against libbpf: the `.kconfig` map libbpf
 * fills (LINUX_HAS_* from its probes, LINUX_KERNEL_VERSION, CONFIG_*) is byte for byte the
 * one tsbpf fills, and a value only the user can give names the flag that gives it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";
import { memoryIo } from "../../src/cli/io.js";
import { openObject } from "../../src/cli/object.js";
import { ensureBpffs, kernelAvailable } from "../../src/kernel/index.js";
import { findKernelType, kernelVersion } from "../../src/object/host.js";
import { buildBtf, BTF_KIND, INT32_TYPE, parseBtf } from "../../src/btf/index.js";
import { bytesOf, FIXTURES } from "./helpers.js";

const here = kernelAvailable();
const bpftool = spawnSync("bpftool", ["version"], { encoding: "utf8" });
const skip = !here.ok ? `no bpf() here: ${here.reason}` : bpftool.status !== 0 ? "bpftool is not installed" : false;

const sh = (args: string[]) => spawnSync("bpftool", args, { encoding: "utf8" });

test("the .kconfig map holds what libbpf puts there: LINUX_HAS_*, LINUX_KERNEL_VERSION, CONFIG_*", { skip }, () => {
  const path = join(FIXTURES, "loader-kconfig.bpf.o");
  const spec = openObject(bytesOf(path), path);
  const ours = spec.maps.find((m) => m.origin === "kconfig")!;
  ensureBpffs();
  const pin = `/sys/fs/bpf/tsbpf-loader-${process.pid}-kconfig`;
  try {
    const load = sh(["prog", "loadall", path, pin]);
    assert.equal(load.status, 0, load.stderr);
    const prog = JSON.parse(sh(["-j", "prog", "show", "pinned", `${pin}/kconfig_sum`]).stdout);
    const maps = prog.map_ids.map((id: number) => JSON.parse(sh(["-j", "map", "show", "id", String(id)]).stdout));
    const theirs = maps.find((m: { name: string }) => m.name === ours.name.slice(0, 15));
    assert.ok(theirs, `libbpf's ${ours.name}: ${JSON.stringify(maps)}`);
    assert.equal(theirs.flags, ours.flags);
    const dump = JSON.parse(sh(["-j", "map", "dump", "id", String(theirs.id)]).stdout);
    assert.deepEqual(dump[0].value.map((b: string) => Number(b)), [...ours.contents![0]!.value!]);
  } finally {
    rmSync(pin, { recursive: true, force: true });
  }
});

test("a kconfig value only the user can give: the object opens as in libbpf, its loads fail naming --kconfig", { skip }, async () => {
  const path = join(FIXTURES, "loader-kconfig-missing.bpf.o");
  const listed = memoryIo();
  assert.equal(await main(["object", path], listed), 0, listed.stderr);
  assert.match(listed.stdout, /^unresolved: CONFIG_TSBPF_NO_SUCH_OPTION \(\.kconfig\): .*--kconfig CONFIG_TSBPF_NO_SUCH_OPTION=VALUE/m);
  const verify = memoryIo();
  assert.equal(await main(["verify", path, "--engine", "kernel", "--json"], verify), 1);
  const [v] = JSON.parse(verify.stdout).programs;
  assert.equal(v.accepted, false);
  assert.match(v.error, /unresolved extern CONFIG_TSBPF_NO_SUCH_OPTION \(\.kconfig\): .*--kconfig CONFIG_TSBPF_NO_SUCH_OPTION=VALUE/);
  const given = memoryIo();
  assert.equal(await main(["verify", path, "--engine", "kernel", "--kconfig", "CONFIG_TSBPF_NO_SUCH_OPTION=7", "--json"], given), 0, given.stdout);
});

test("LINUX_KERNEL_VERSION is KERNEL_VERSION(a, b, c) of the release, c capped at 255", () => {
  assert.equal(kernelVersion("6.18.0-rc1"), 0x061200);
  assert.equal(kernelVersion("5.4.300"), 0x0504ff);
  assert.equal(kernelVersion("4.19"), 0x041300);
  assert.equal(kernelVersion("weird"), undefined);
});

test("a kfunc or attach target is looked up in vmlinux, then in each module's own split BTF", () => {
  const proto = { kind: BTF_KIND.FUNC_PROTO, sizeOrType: 1, vlen: 0 };
  const vmlinux = parseBtf(buildBtf([INT32_TYPE, proto, { name: "in_vmlinux", kind: BTF_KIND.FUNC, sizeOrType: 2 }]).bytes);
  const strLen = new DataView(vmlinux.raw.buffer, vmlinux.raw.byteOffset).getUint32(20, true);
  const module = parseBtf(buildBtf([proto, { name: "in_module", kind: BTF_KIND.FUNC, sizeOrType: 4 }], { splitStringBase: strLen }).bytes, { base: vmlinux });
  const modules = [{ module: "nf_conntrack", btf: module }];
  assert.deepEqual(findKernelType("in_vmlinux", "func", vmlinux, modules)?.id, 3);
  const found = findKernelType("in_module", "func", vmlinux, modules)!;
  assert.deepEqual([found.id, found.module], [5, "nf_conntrack"], "a module's ids continue after vmlinux's");
  assert.equal(findKernelType("in_module", "var", vmlinux, modules), undefined);
  assert.equal(findKernelType("nowhere", "func", vmlinux, modules), undefined);
});
