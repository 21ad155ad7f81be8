/**
 * @fileoverview `tsbpf prog`, in bpftool's words: load and loadall (pinning programs,
 * maps with pinmaps, links with autoattach), list and show (the same text and JSON as
 * bpftool prog show), dump xlated and jited, and tracelog (the trace pipe).
 */

import { closeSync, constants, mkdirSync, openSync, readFileSync, readSync } from "node:fs";
import { BpfError } from "../errors.js";
import { listInstructions, listingLines } from "../isa/disassembler.js";
import * as bpf from "../kernel/bpf.js";
import { attachAll } from "../kernel/attach-all.js";
import { tracefsRoot } from "../kernel/attach.js";
import { ensureBpffs } from "../kernel/bpffs.js";
import { KernelLink } from "../kernel/link.js";
import { programIds, programInfo, programXlatedBytes, type ProgramInfo } from "../kernel/info.js";
import { HOST_LITTLE_ENDIAN } from "../kernel/layout.js";
import { PROG_INFO } from "../kernel/uapi.js";
import { loadObject } from "../object/index.js";
import { openObject } from "./object.js";
import {
  fdinfoField, holdersOf, holdersText, isoLocal, need, parseRef, pinnedPaths, printJson, programIdsOf, splitGlobals, tryInfo, UsageError,
  wallClockSeconds, withFd, type Globals,
} from "./bpftool-common.js";
import type { Io } from "./io.js";

export const PROG_USAGE = `usage: tsbpf prog { show | list } [PROG]
       tsbpf prog dump xlated PROG [opcodes]
       tsbpf prog dump jited PROG
       tsbpf prog load OBJ PATH [type TYPE] [pinmaps MAP_DIR] [autoattach]
       tsbpf prog loadall OBJ PATH [pinmaps MAP_DIR] [autoattach]
       tsbpf prog tracelog
       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
       OPTIONS := { -j|--json [-p|--pretty] }`;

/** bpftool prog show's JSON object for one program. */
export function programJson(info: ProgramInfo, memlock: number | undefined, pinned: readonly string[] = []): Record<string, unknown> {
  const o: Record<string, unknown> = { id: info.id, type: info.typeName };
  if (info.name) o.name = info.name;
  o.tag = info.tag;
  o.gpl_compatible = info.gplCompatible;
  if (info.runTimeNs) { o.run_time_ns = info.runTimeNs; o.run_cnt = info.runCnt; }
  if (info.recursionMisses) o.recursion_misses = info.recursionMisses;
  o.loaded_at = wallClockSeconds(info.loadTime);
  o.uid = info.createdByUid;
  o.bytes_xlated = info.xlatedProgLen;
  o.jited = info.jitedProgLen > 0;
  if (info.jitedProgLen) o.bytes_jited = info.jitedProgLen;
  if (memlock !== undefined) o.bytes_memlock = memlock;
  if (info.mapIds.length) o.map_ids = info.mapIds;
  if (info.btfId) o.btf_id = info.btfId;
  if (pinned.length) o.pinned = pinned;
  const pids = holdersOf("prog", info.id);
  if (pids.length) o.pids = pids;
  return o;
}

/** bpftool prog show's text for one program. */
export function programText(info: ProgramInfo, memlock: number | undefined, pinned: readonly string[] = []): string {
  let s = `${info.id}: ${info.typeName}  `;
  if (info.name) s += `name ${info.name}  `;
  s += `tag ${info.tag}${info.gplCompatible ? "  gpl" : ""}`;
  if (info.runTimeNs) s += ` run_time_ns ${info.runTimeNs} run_cnt ${info.runCnt}`;
  if (info.recursionMisses) s += ` recursion_misses ${info.recursionMisses}`;
  s += `\n\tloaded_at ${isoLocal(wallClockSeconds(info.loadTime))}  uid ${info.createdByUid}\n`;
  s += `\txlated ${info.xlatedProgLen}B  ${info.jitedProgLen ? `jited ${info.jitedProgLen}B` : "not jited"}`;
  if (memlock !== undefined) s += `  memlock ${memlock}B`;
  if (info.mapIds.length) s += `  map_ids ${info.mapIds.join(",")}`;
  for (const p of pinned) s += `\n\tpinned ${p}`;
  if (info.btfId) s += `\n\tbtf_id ${info.btfId}`;
  const pids = holdersOf("prog", info.id);
  if (pids.length) s += `\n\tpids ${holdersText(pids)}`;
  return s;
}

function show(io: Io, g: Globals, ids: readonly number[], list: boolean): number {
  const shown: { info: ProgramInfo; memlock: number | undefined }[] = [];
  for (const id of ids) {
    const r = tryInfo(() => withFd(bpf.progGetFdById(id), (fd) => ({ info: programInfo(fd), memlock: fdinfoField(fd, "memlock") })));
    if (r) shown.push(r);
  }
  const pins = (id: number) => (g.bpffs ? pinnedPaths("prog", id) : []);
  if (g.json) printJson(io, g, list ? shown.map((r) => programJson(r.info, r.memlock, pins(r.info.id))) : programJson(shown[0]!.info, shown[0]!.memlock, pins(shown[0]!.info.id)));
  else for (const r of shown) io.out(programText(r.info, r.memlock, pins(r.info.id)));
  return 0;
}

/**
 * After the verifier, a helper call's imm is the kernel function's offset from
 * __bpf_call_base; bpftool names it from /proc/kallsyms, and so does this.
 */
function kernelCallNames(): (line: string) => string {
  let syms: Map<bigint, string> | undefined;
  let base: bigint | undefined;
  const load = () => {
    syms = new Map();
    try {
      for (const l of readFileSync("/proc/kallsyms", "utf8").split("\n")) {
        const [addr, , name] = l.split(/\s+/);
        if (!addr || !name) continue;
        const a = BigInt(`0x${addr}`);
        if (a === 0n) continue;
        if (name === "__bpf_call_base") base = a;
        if (!syms.has(a)) syms.set(a, name);
      }
    } catch {
      // No kallsyms: calls keep their numbers.
    }
  };
  return (line) => line.replace(/call unknown#(-?\d+)/, (all, imm: string) => {
    if (!syms) load();
    const name = base !== undefined ? syms!.get(base + BigInt(imm)) : undefined;
    return name ? `call ${name}#${imm}` : all;
  });
}

function jitedBytes(fd: number): Uint8Array {
  const len = bpf.objGetInfoByFd(fd, PROG_INFO, [], "program info").info.num("jited_prog_len");
  if (len === 0) return new Uint8Array(0);
  return bpf.objGetInfoByFd(fd, PROG_INFO, [{ ptr: "jited_prog_insns", len: "jited_prog_len", lenValue: len, bytes: len }], "program info").arrays[0]!;
}

function dump(io: Io, g: Globals, args: string[]): number {
  const what = need(args, "xlated or jited");
  if (what !== "xlated" && what !== "jited") throw new UsageError(`expected xlated or jited, got '${what}'`);
  const ids = programIdsOf(parseRef(args, ["id", "pinned", "tag", "name"], "program"));
  for (const id of ids) {
    withFd(bpf.progGetFdById(id), (fd) => {
      if (what === "xlated") {
        const bytes = programXlatedBytes(fd);
        const listed = listInstructions(bytes, HOST_LITTLE_ENDIAN);
        const lines = listingLines(listed, { syntax: "kernel" }).map(kernelCallNames());
        if (g.json) printJson(io, g, lines.map((l) => ({ disasm: l.replace(/^\s*\d+: /, "") })));
        else {
          const info = programInfo(fd);
          if (ids.length > 1) io.out(`${info.id}: ${info.typeName}  name ${info.name}`);
          for (const line of lines) io.out(line);
        }
      } else {
        // bpftool disassembles the host code through libbfd; here it is the bytes, as bpftool's `opcodes` shows them.
        const code = jitedBytes(fd);
        if (g.json) printJson(io, g, [{ opcodes: Array.from(code, (b) => b.toString(16).padStart(2, "0")) }]);
        else for (let at = 0; at < code.length; at += 16) io.out(`${at.toString(16).padStart(4)}:\t${Array.from(code.subarray(at, at + 16), (b) => b.toString(16).padStart(2, "0")).join(" ")}`);
      }
    });
  }
  return 0;
}

/** `prog load` and `prog loadall`: load OBJ into the kernel, pin what bpftool pins. */
async function load(io: Io, g: Globals, args: string[], all: boolean): Promise<number> {
  const file = need(args, "an object file");
  const path = need(args, "a pin path");
  let pinmaps: string | undefined;
  let type: string | undefined;
  let autoattach = false;
  while (args.length) {
    const w = args.shift()!;
    if (w === "pinmaps") pinmaps = need(args, "a directory after pinmaps");
    else if (w === "type" && !all) type = need(args, "a program type after type");
    else if (w === "autoattach") autoattach = true;
    else if (w === "map") throw new UsageError("map replacement (map idx|name ...) is not supported by tsbpf yet");
    else throw new UsageError(`unknown argument '${w}'`);
  }
  // As libbpf opens it for this kernel: the host's kconfig, CO-RE against the running kernel's BTF.
  const spec = openObject(new Uint8Array(readFileSync(file)), file.split("/").pop()!);
  if (type) for (const p of spec.programs) p.type = type;
  ensureBpffs();
  const obj = await loadObject(spec, { engine: "kernel" });
  try {
    const loaded = spec.programs.filter((p) => obj.programs.has(p.name));
    if (!loaded.length) throw new BpfError("EINVAL", `${file}: no program to load`);
    const chosen = all ? loaded : [loaded[0]!];
    if (all) mkdirSync(path, { recursive: true });
    if (autoattach) {
      const programs = new Map(chosen.map((p) => [p.name, obj.programs.get(p.name)!]));
      const att = attachAll(programs, chosen);
      try {
        for (const [name, link] of att.links) if (link instanceof KernelLink) link.pin(all ? `${path}/${name}` : path);
        // A program that cannot auto-attach is pinned itself, as bpftool does.
        for (const s of att.skipped) obj.programs.get(s.program)!.pin(all ? `${path}/${s.program}` : path);
      } finally {
        att.close();
      }
    } else {
      for (const p of chosen) obj.programs.get(p.name)!.pin(all ? `${path}/${p.name}` : path);
    }
    if (pinmaps) {
      mkdirSync(pinmaps, { recursive: true });
      for (const [name, map] of obj.maps) map.pin(`${pinmaps}/${name}`);
    }
    if (g.json) printJson(io, g, null);
    return 0;
  } finally {
    obj.close();
  }
}

/**
 * `prog tracelog`: the trace pipe (bpf_trace_printk's output), line by line, until
 * interrupted. The pipe is read without blocking, so nothing waits in a worker thread
 * when Ctrl-C (or `signal`) ends it.
 */
export async function tracelog(io: Io, signal?: AbortSignal): Promise<number> {
  const fd = openSync(`${tracefsRoot()}/trace_pipe`, constants.O_RDONLY | constants.O_NONBLOCK);
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once("SIGINT", stop);
  signal?.addEventListener("abort", stop);
  const buf = Buffer.alloc(64 * 1024);
  let rest = "";
  try {
    while (!ac.signal.aborted) {
      let n = 0;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      }
      if (n === 0) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      rest += buf.toString("utf8", 0, n);
      const lines = rest.split("\n");
      rest = lines.pop()!;
      for (const l of lines) io.out(l);
    }
  } finally {
    process.off("SIGINT", stop);
    signal?.removeEventListener("abort", stop);
    closeSync(fd);
  }
  return 0;
}

export async function progCommand(argv: string[], io: Io): Promise<number> {
  const { globals: g, rest: args } = splitGlobals(argv);
  const verb = args.shift() ?? "show";
  switch (verb) {
    case "show": case "list":
      if (args.length) {
        const ids = programIdsOf(parseRef(args, ["id", "pinned", "tag", "name"], "program"));
        return show(io, g, ids, ids.length > 1);
      }
      return show(io, g, [...programIds()], true);
    case "dump": return dump(io, g, args);
    case "load": return load(io, g, args, false);
    case "loadall": return load(io, g, args, true);
    case "tracelog": return tracelog(io);
    case "help": io.out(PROG_USAGE); return 0;
    default: throw new UsageError(`unknown command '${verb}'\n${PROG_USAGE}`);
  }
}
