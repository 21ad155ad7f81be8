/**
 * Differential tests against libbpf: bpftool (libbpf 1.x) loads each object and pins its
 * programs and maps; what the kernel then says about them must be what our spec says.
 * Then our own loader puts the same objects into the kernel, and test runs must return
 * what libbpf's copies return.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { BpfSyscallError, ensureBpffs, kernelAvailable, KernelProgram } from "../../src/kernel/index.js";
import { LDDW, type Instruction } from "../../src/isa/index.js";
import { loadObject, type ObjectSpec } from "../../src/object/index.js";
import { loadObjectSpec } from "../../src/object/spec.js";
import { parseBtf } from "../../src/btf/index.js";
import { BENCH, benchObjects, bytesOf, EXTERN_VALUES, FIXTURES, fixtureObjects, openFixture } from "./helpers.js";

const available = kernelAvailable();
const bpftool = spawnSync("bpftool", ["version"], { encoding: "utf8" });
const skip: false | string = !available.ok
  ? `no kernel backend here: ${available.reason}`
  : bpftool.status !== 0
    ? "bpftool is not installed"
    : false;

/** Objects libbpf 1.x opens (no legacy maps, no foreign byte order, no unknown sections, no static programs). */
const LIBBPF_OPENS = (p: string) => !p.includes("bpfeb") && !p.endsWith("legacy-maps.bpf.o") && !p.endsWith("externs.bpf.o") && !p.includes("/cilium-") && !p.endsWith("bpf-load-maps.bpf.o");
/**
 * Fixtures with a program the kernel rejects on purpose (test/cli/verify.test.ts and
 * test/object/verify.test.ts check each verdict), or that need the host's kconfig values
 * (test/object/host.test.ts), so they do not load whole as opened here.
 */
const LOADS_WHOLE = (p: string) =>
  !["fault", "loader-mixed", "loader-kfuncs", "loader-kfunc-missing", "loader-max-entries", "loader-kconfig", "loader-kconfig-missing"].some((n) => p.endsWith(`/${n}.bpf.o`));
const VERIFIER_ACCEPTS = LOADS_WHOLE;

const kernelName = (s: string) => s.slice(0, 15).replace(/[^A-Za-z0-9_.]/g, "_");

/** bpftool's libbpf, as [major, minor]: "using libbpf v1.1" gives [1, 1]. */
const LIBBPF = (/libbpf v(\d+)\.(\d+)/.exec(bpftool.stdout ?? "") ?? [, "1", "99"]).slice(1).map(Number) as [number, number];
/**
 * The flags that bpftool's libbpf gives a map: tsbpf follows libbpf 1.2 on, which sets
 * BPF_F_MMAPABLE on a global data map only when it holds a non-static variable; 1.1 and
 * before set it on every one.
 */
const libbpfFlags = (m: ObjectSpec["maps"][number]) => (m.origin === "data" && (LIBBPF[0] < 1 || (LIBBPF[0] === 1 && LIBBPF[1] < 2)) ? m.flags | 0x400 : m.flags);

function sh(args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync("bpftool", args, { encoding: "utf8" });
  return { ok: r.status === 0, out: r.stdout, err: r.stderr };
}

/** Loads with bpftool (libbpf), pinning programs and maps; runs `fn` on the pins; cleans up. */
function withLibbpf<T>(path: string, fn: (progDir: string, mapDir: string) => T): T | string {
  ensureBpffs();
  const tag = `tsbpf-test-${process.pid}-${basename(path).replace(/\W/g, "_")}`;
  const progDir = `/sys/fs/bpf/${tag}`;
  const mapDir = `/sys/fs/bpf/${tag}-maps`;
  try {
    const r = sh(["prog", "loadall", path, progDir, "pinmaps", mapDir]);
    if (!r.ok) return r.err.trim().split("\n").slice(-3).join(" / ");
    return fn(progDir, mapDir);
  } finally {
    rmSync(progDir, { recursive: true, force: true });
    rmSync(mapDir, { recursive: true, force: true });
  }
}

/** Fixtures with CO-RE relocations, which need the kernel's BTF as their target. */
const CO_RE = /(^|\/)(core|task-walk)\.bpf\.o$/;

test("libbpf (bpftool prog loadall) makes the programs and maps the spec describes", { skip }, (t) => {
  for (const path of [...fixtureObjects(), ...benchObjects()].filter(LIBBPF_OPENS)) {
    const spec = loadObjectSpec(bytesOf(path), { name: path, ...(CO_RE.test(path) ? { targetBtf: vmlinux() } : {}) });
    const result = withLibbpf(path, (progDir, mapDir) => {
      const progs = readdirSync(progDir).sort();
      assert.deepEqual(progs, spec.programs.map((p) => p.name).sort(), `${path}: programs`);
      for (const name of progs) {
        const info = JSON.parse(sh(["-j", "prog", "show", "pinned", join(progDir, name)]).out);
        const p = spec.programs.find((x) => x.name === name)!;
        assert.ok(info.name === name || info.name === kernelName(name), `${path}: ${name}: kernel name ${info.name}`);
        assert.equal(info.type, p.type, `${path}: ${name}: type`);
      }
      const maps = (existsSync(mapDir) ? readdirSync(mapDir) : []).map((f) => JSON.parse(sh(["-j", "map", "show", "pinned", join(mapDir, f)]).out));
      // A struct_ops map's value is the object's struct after open, the kernel's once made (as in libbpf).
      const valueSize = (m: { type: string; bytes_value: number }) => (m.type === "struct_ops" ? -1 : m.bytes_value);
      const ours = spec.maps.map((m) => ({ name: kernelName(m.name), type: m.type, bytes_key: m.keySize, bytes_value: valueSize({ type: m.type, bytes_value: m.valueSize }), max_entries: m.maxEntries, flags: libbpfFlags(m) }));
      const theirs = maps.map((m) => ({ name: m.name, type: m.type, bytes_key: m.bytes_key, bytes_value: valueSize(m), max_entries: m.max_entries, flags: m.flags }));
      const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
      assert.deepEqual(ours.sort(byName), theirs.sort(byName), `${path}: maps`);
      return `compared ${progs.length} programs, ${maps.length} maps: as libbpf made them`;
    });
    if (result.startsWith("compared")) t.diagnostic(`${basename(path)}: ${result}`);
    else t.diagnostic(`${basename(path)}: libbpf did not load it (${result}); not compared`);
  }
});

let vmlinuxBtf: ReturnType<typeof parseBtf> | undefined;
function vmlinux() {
  return (vmlinuxBtf ??= parseBtf(bytesOf("/sys/kernel/btf/vmlinux")));
}

/** The retval bpftool prints for a pinned program run on `packet`. */
function libbpfRetval(pin: string, packet: string): number {
  const r = sh(["prog", "run", "pinned", pin, "data_in", packet, "repeat", "1"]);
  assert.ok(r.ok, r.err);
  const m = /Return value: (\d+)/.exec(r.out + r.err);
  assert.ok(m, r.out);
  return Number(m[1]);
}

/** Instructions with 64-bit immediates zeroed: the kernel writes map addresses there, which differ per load. */
function withoutAddresses(insns: readonly Instruction[]): Instruction[] {
  return insns.map((i) => (i.opcode === LDDW ? { ...i, imm: 0, imm64: 0n } : i));
}

const PACKETS = existsSync(BENCH) ? readdirSync(BENCH).filter((n) => n.startsWith("pkt_") && n.endsWith(".bin")).map((n) => join(BENCH, n)) : [];
const RUNNABLE = new Set(["xdp", "socket_filter", "sched_cls"]);

test("loadObject(spec, { engine: \"kernel\" }) runs programs as libbpf's copies do", { skip: skip || (PACKETS.length === 0 && "no bench packets") }, async (t) => {
  const objects = [join(BENCH, "progs/parse.bpf.o"), ...fixtureObjects().filter(LIBBPF_OPENS).filter(VERIFIER_ACCEPTS), ...benchObjects()];
  for (const path of [...new Set(objects)].filter(existsSync)) {
    const spec = loadObjectSpec(bytesOf(path), { name: path, ...(CO_RE.test(path) ? { targetBtf: vmlinux() } : {}) });
    const obj = await loadObject(spec, { engine: "kernel" });
    try {
      assert.equal(obj.btfError, undefined, `${path}: BTF refused`);
      assert.deepEqual([...obj.programs.keys()], spec.programs.map((p) => p.name));
      const ran = withLibbpf(path, (progDir) => {
        let n = 0;
        // What the verifier made of each program is the same as for libbpf's copy, but for map addresses.
        for (const p of spec.programs) {
          const theirs = KernelProgram.fromPin(join(progDir, p.name));
          try {
            assert.deepEqual(withoutAddresses(obj.programs.get(p.name)!.xlated()), withoutAddresses(theirs.xlated()), `${basename(path)}: ${p.name}: xlated`);
          } finally {
            theirs.close();
          }
        }
        for (const p of spec.programs.filter((x) => RUNNABLE.has(x.type))) {
          const ours = obj.programs.get(p.name)!;
          assert.ok(ours.info().nrFuncInfo > 0, `${path}: ${p.name} was loaded without its BTF func info`);
          for (const packet of PACKETS) {
            const theirs = libbpfRetval(join(progDir, p.name), packet);
            assert.equal(ours.testRun({ data: bytesOf(packet) }).retval, theirs, `${basename(path)}: ${p.name} on ${basename(packet)}`);
            n++;
          }
        }
        return n;
      });
      if (typeof ran === "string") t.diagnostic(`${basename(path)}: libbpf did not load it (${ran}); ours loaded`);
      else t.diagnostic(`${basename(path)}: xlated as libbpf's; ${ran} test runs agree`);
    } finally {
      obj.close();
    }
  }
});

test("the kernel engine fills global data, freezes .rodata, fills map-in-map and prog_array slots", { skip }, async () => {
  const global = await loadObject(openFixture("global-data.bpf.o"), { engine: "kernel" });
  try {
    const data = global.maps.get("global_d.data")!;
    const key = new Uint8Array(4);
    assert.equal(new DataView(data.get(key)!.buffer).getBigUint64(0, true), 1n);
    global.programs.get("global_data")!.testRun({ data: new Uint8Array(64) });
    assert.equal(new DataView(data.get(key)!.buffer).getBigUint64(0, true), 2n, "packets++ ran against the map");
    assert.equal(global.maps.get("global_d.rodata")!.info().flags & 0x80, 0x80);
    assert.throws(() => global.maps.get("global_d.rodata")!.set(key, new Uint8Array(4)), "a frozen map refuses updates");
  } finally {
    global.close();
  }
  const adv = await loadObject(openFixture("maps-advanced.bpf.o"), { engine: "kernel" });
  try {
    // entry tail-calls jumps[1] = tail_drop, which returns XDP_DROP.
    assert.equal(adv.programs.get("entry")!.testRun({ data: new Uint8Array(64) }).retval, 1);
    const innerA = adv.maps.get("inner_a")!;
    assert.equal(new DataView(innerA.get(new Uint8Array(4))!.buffer).getBigUint64(0, true), 7n, "outer[0] is inner_a; custom is 7");
  } finally {
    adv.close();
  }
});

test("externs load: kconfig values in a frozen .kconfig map, a bpf_loop callback, a typeless ksym", { skip }, async (t) => {
  const spec: ObjectSpec = loadObjectSpec(bytesOf(join(FIXTURES, "externs.bpf.o")), { name: "externs.bpf.o", ...EXTERN_VALUES });
  const skipped = ["on_lsm", "unknown_type"];
  let obj;
  try {
    // pinRoot false: pinned_map would otherwise be pinned in /sys/fs/bpf, libbpf's default root.
    obj = await loadObject(spec, { engine: "kernel", skip: skipped, targetBtf: vmlinux(), pinRoot: false });
  } catch (e) {
    // Some kernels refuse fentry programs even to root (libbpf gets the same EPERM here).
    if (!(e instanceof BpfSyscallError) || !/on_fentry/.test(e.message)) throw e;
    t.diagnostic(`fentry refused by this kernel: ${e.message}`);
    skipped.push("on_fentry");
    obj = await loadObject(spec, { engine: "kernel", skip: skipped, targetBtf: vmlinux(), pinRoot: false });
  }
  try {
    const r = obj.programs.get("read_config")!.testRun({ data: new Uint8Array(64) });
    // bpf_loop adds 0+1+2+3; then '-' (45), LINUX_KERNEL_VERSION and CONFIG_HZ
    assert.equal(r.retval, 6 + 45 + 0x061200 + 250);
    assert.ok(obj.maps.get("externs.kconfig")!.info());
    assert.deepEqual([...obj.programs.keys()], ["read_config", "ksym_addr", "on_fentry", "on_connect"].filter((n) => !skipped.includes(n)));
    if (obj.programs.has("on_fentry")) assert.ok(obj.programs.get("on_fentry")!.info().attachBtfId > 0);
  } finally {
    obj.close();
  }
});

test("a spec is data to edit before loading: a new .rodata value changes what the program does", { skip }, async () => {
  const spec = openFixture("global-data.bpf.o");
  const packet = new Uint8Array(64);
  const before = await loadObject(spec, { engine: "kernel" });
  try {
    assert.equal(before.programs.get("global_data")!.testRun({ data: packet }).retval, 2, "64 bytes <= threshold 100: XDP_PASS");
  } finally {
    before.close();
  }
  const rodata = spec.maps.find((m) => m.name === "global_d.rodata")!;
  rodata.contents = [{ key: new Uint8Array(4), value: new Uint8Array([10, 0, 0, 0]) }]; // threshold = 10
  const after = await loadObject(spec, { engine: "kernel" });
  try {
    assert.equal(after.programs.get("global_data")!.testRun({ data: packet }).retval, 1, "64 bytes > threshold 10: XDP_DROP");
  } finally {
    after.close();
  }
});

test("maps with pinning LIBBPF_PIN_BY_NAME are pinned under pinPath and reused by the next load", { skip }, async () => {
  ensureBpffs();
  const dir = `/sys/fs/bpf/tsbpf-test-${process.pid}-pins`;
  mkdirSync(dir, { recursive: true });
  const spec = openFixture("externs.bpf.o");
  const only = { engine: "kernel" as const, pinPath: dir, skip: spec.programs.map((p) => p.name) };
  try {
    const first = await loadObject(spec, only);
    first.maps.get("pinned_map")!.set(new Uint8Array(4), new Uint8Array([42, 0, 0, 0]));
    const id = first.maps.get("pinned_map")!.info().id;
    first.close();
    assert.ok(existsSync(join(dir, "pinned_map")));
    const second = await loadObject(spec, only);
    try {
      assert.equal(second.maps.get("pinned_map")!.info().id, id);
      assert.equal(second.maps.get("pinned_map")!.get(new Uint8Array(4))![0], 42);
    } finally {
      second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("func and line info the kernel refuses: the program loads without them, and the loader says so", { skip }, async () => {
  const spec = openFixture("xdp-parser.bpf.o");
  const p = spec.programs[0]!;
  // A func_info naming a type that is not a FUNC, which the kernel's BTF check refuses.
  p.funcInfo = p.funcInfo.map((f) => ({ ...f, typeId: 1 }));
  const obj = await loadObject(spec, { engine: "kernel" });
  try {
    assert.equal(obj.programs.get(p.name)!.info().nrFuncInfo, 0);
    assert.equal(obj.warnings?.length, 1);
    assert.match(obj.warnings![0]!, new RegExp(`program ${p.name}: the kernel refused its func and line info .*; loaded without them`));
  } finally {
    obj.close();
  }
});

test("the kernel engine maps an arena at creation and copies the object's __arena globals into it", { skip }, async () => {
  const path = new URL("../verifier/corpus/arena-records.bpf.o", import.meta.url).pathname;
  const obj = await loadObject(loadObjectSpec(bytesOf(path), { name: path }), { engine: "kernel" });
  try {
    const run = (name: string) => obj.programs.get(name)!.testRun({}).retval;
    assert.equal(run("read_generation"), 7, "the initialised global, copied where the relocations point");
    assert.equal(run("add_records"), 0, "a page allocated, 8 records listed");
    assert.equal(run("sum_records"), 0, "the list's counts add up to the total kept beside it");
    assert.equal(run("free_records"), 0);
    assert.equal(run("read_generation"), 8);
    assert.equal(run("sum_records"), 0, "an empty list, a zero total");
  } finally {
    obj.close();
  }
});
