/**
 * @fileoverview Typed wrappers of the bpf() commands, one function per command,
 * speaking plain numbers, bytes and file descriptors the caller owns. The classes in
 * map.ts and program.ts are built on these; they are public for tools that need the
 * raw command.
 */

import { encode, type Instruction } from "../isa/instruction.js";
import { BpfSyscallError, KernelBtfError, KernelVerifierError } from "./errors.js";
import { errno } from "./errno.js";
import { HOST_LITTLE_ENDIAN, StructReader, StructWriter, type Layout } from "./layout.js";
import { bpfCall, bpfRaw, withScratch, type Chunk, type Scratch } from "./native.js";
import {
  BTF_LOAD, Cmd, cmdName, GET_ID, INFO, MAP_BATCH, MAP_CREATE, MAP_ELEM, OBJ, PROG_LOAD, TEST_RUN,
} from "./uapi.js";

const ENOENT = errno("ENOENT");
const ENOSPC = errno("ENOSPC");

/** A zeroed attribute struct of `layout` in the call's scratch memory, and its writer. */
export function attr(s: Scratch, layout: Layout): [Chunk, StructWriter] {
  const chunk = s.alloc(layout.size);
  return [chunk, new StructWriter(layout, chunk.bytes)];
}

// ---------------------------------------------------------------------------------
// Maps

/** The attributes of BPF_MAP_CREATE. */
export interface MapCreateAttr {
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly mapFlags?: number;
  readonly innerMapFd?: number;
  readonly numaNode?: number;
  /** Up to 15 bytes of [A-Za-z0-9_.]. */
  readonly name?: string;
  readonly ifindex?: number;
  readonly btfFd?: number;
  readonly btfKeyTypeId?: number;
  readonly btfValueTypeId?: number;
  readonly btfVmlinuxValueTypeId?: number;
  readonly mapExtra?: bigint;
}

/** BPF_MAP_CREATE: a new map's file descriptor. */
export function mapCreate(a: MapCreateAttr, context?: string): number {
  return withScratch((s) => {
    const [chunk, w] = attr(s, MAP_CREATE);
    w.set("map_type", a.mapType).set("key_size", a.keySize).set("value_size", a.valueSize)
      .set("max_entries", a.maxEntries).set("map_flags", a.mapFlags).set("inner_map_fd", a.innerMapFd)
      .set("numa_node", a.numaNode).str("map_name", a.name).set("map_ifindex", a.ifindex)
      .set("btf_fd", a.btfFd).set("btf_key_type_id", a.btfKeyTypeId).set("btf_value_type_id", a.btfValueTypeId)
      .set("btf_vmlinux_value_type_id", a.btfVmlinuxValueTypeId).set("map_extra", a.mapExtra);
    return bpfCall(Cmd.MapCreate, chunk, MAP_CREATE.size, context);
  });
}

/** An element command on `key` (absent for queues and stacks); the value buffer back, or undefined on ENOENT. */
function elem(cmd: number, fd: number, key: Uint8Array | undefined, valueSize: number, flags: number, context?: string): Uint8Array | undefined {
  return withScratch((s) => {
    const [chunk, w] = attr(s, MAP_ELEM);
    const k = s.copy(key);
    const v = s.alloc(valueSize);
    w.set("map_fd", fd).set("key", k.addr).set("value", v.addr).set("flags", flags);
    const ret = bpfRaw(cmd, chunk.addr, MAP_ELEM.size);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) throw new BpfSyscallError(cmdName(cmd), -ret, context);
    return v.bytes.slice();
  });
}

/** BPF_MAP_LOOKUP_ELEM: the value of `key`, or undefined when there is none. */
export function mapLookupElem(fd: number, key: Uint8Array | undefined, valueSize: number, flags = 0, context?: string): Uint8Array | undefined {
  return elem(Cmd.MapLookupElem, fd, key, valueSize, flags, context);
}

/** BPF_MAP_LOOKUP_AND_DELETE_ELEM: removes `key` (or pops a queue or stack) and returns its value. */
export function mapLookupAndDeleteElem(fd: number, key: Uint8Array | undefined, valueSize: number, flags = 0, context?: string): Uint8Array | undefined {
  return elem(Cmd.MapLookupAndDeleteElem, fd, key, valueSize, flags, context);
}

/** BPF_MAP_UPDATE_ELEM with BPF_ANY, BPF_NOEXIST or BPF_EXIST (and BPF_F_LOCK). */
export function mapUpdateElem(fd: number, key: Uint8Array | undefined, value: Uint8Array, flags = 0, context?: string): void {
  withScratch((s) => {
    const [chunk, w] = attr(s, MAP_ELEM);
    w.set("map_fd", fd).set("key", s.copy(key).addr).set("value", s.copy(value).addr).set("flags", flags);
    bpfCall(Cmd.MapUpdateElem, chunk, MAP_ELEM.size, context);
  });
}

/** BPF_MAP_DELETE_ELEM: true when `key` was there. */
export function mapDeleteElem(fd: number, key: Uint8Array, context?: string): boolean {
  return withScratch((s) => {
    const [chunk, w] = attr(s, MAP_ELEM);
    w.set("map_fd", fd).set("key", s.copy(key).addr);
    const ret = bpfRaw(Cmd.MapDeleteElem, chunk.addr, MAP_ELEM.size);
    if (ret === -ENOENT) return false;
    if (ret < 0) throw new BpfSyscallError(cmdName(Cmd.MapDeleteElem), -ret, context);
    return true;
  });
}

/** BPF_MAP_GET_NEXT_KEY: the key after `key` (the first key when undefined), or undefined at the end. */
export function mapGetNextKey(fd: number, key: Uint8Array | undefined, keySize: number, context?: string): Uint8Array | undefined {
  return withScratch((s) => {
    const [chunk, w] = attr(s, MAP_ELEM);
    const next = s.alloc(keySize);
    w.set("map_fd", fd).set("key", s.copy(key).addr).set("next_key", next.addr);
    const ret = bpfRaw(Cmd.MapGetNextKey, chunk.addr, MAP_ELEM.size);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) throw new BpfSyscallError(cmdName(Cmd.MapGetNextKey), -ret, context);
    return next.bytes.slice();
  });
}

/** What one BPF_MAP_LOOKUP_BATCH (or LOOKUP_AND_DELETE_BATCH) call gave. */
export interface BatchLookup {
  readonly count: number;
  /** `count` keys, packed. */
  readonly keys: Uint8Array;
  /** `count` values, packed. */
  readonly values: Uint8Array;
  /** The opaque position to continue from; undefined when the map has no more. */
  readonly next: Uint8Array | undefined;
}

/**
 * The size of a batch position. The kernel treats it as a key for arrays and as a
 * u32 bucket for hashes, so it must hold either.
 */
export const batchTokenSize = (keySize: number): number => Math.max(keySize, 8);

/** BPF_MAP_LOOKUP_BATCH or BPF_MAP_LOOKUP_AND_DELETE_BATCH: up to `count` elements after `inBatch`. */
export function mapLookupBatch(
  fd: number,
  o: { keySize: number; valueSize: number; count: number; inBatch?: Uint8Array; elemFlags?: number; andDelete?: boolean },
  context?: string,
): BatchLookup {
  const cmd = o.andDelete ? Cmd.MapLookupAndDeleteBatch : Cmd.MapLookupBatch;
  return withScratch((s) => {
    const [chunk, w] = attr(s, MAP_BATCH);
    const tokenSize = batchTokenSize(o.keySize);
    const inBatch = o.inBatch ? s.copy(o.inBatch) : undefined;
    const outBatch = s.alloc(tokenSize);
    const keys = s.alloc(o.keySize * o.count);
    const values = s.alloc(o.valueSize * o.count);
    w.set("in_batch", inBatch?.addr ?? 0n).set("out_batch", outBatch.addr).set("keys", keys.addr)
      .set("values", values.addr).set("count", o.count).set("map_fd", fd).set("elem_flags", o.elemFlags ?? 0);
    const ret = bpfRaw(cmd, chunk.addr, MAP_BATCH.size);
    // ENOENT ends the walk; the elements it found on the way are still returned.
    if (ret < 0 && ret !== -ENOENT) throw new BpfSyscallError(cmdName(cmd), -ret, context);
    const count = new StructReader(MAP_BATCH, chunk.bytes).num("count");
    return {
      count,
      keys: keys.bytes.slice(0, count * o.keySize),
      values: values.bytes.slice(0, count * o.valueSize),
      next: ret === -ENOENT ? undefined : outBatch.bytes.slice(),
    };
  });
}

/** BPF_MAP_UPDATE_BATCH: writes `count` packed keys and values; the number written. */
export function mapUpdateBatch(fd: number, keys: Uint8Array, values: Uint8Array, count: number, o: { elemFlags?: number } = {}, context?: string): number {
  return batchWrite(Cmd.MapUpdateBatch, fd, keys, values, count, o.elemFlags ?? 0, context);
}

/** BPF_MAP_DELETE_BATCH: deletes `count` packed keys; the number deleted. */
export function mapDeleteBatch(fd: number, keys: Uint8Array, count: number, o: { elemFlags?: number } = {}, context?: string): number {
  return batchWrite(Cmd.MapDeleteBatch, fd, keys, undefined, count, o.elemFlags ?? 0, context);
}

function batchWrite(cmd: number, fd: number, keys: Uint8Array, values: Uint8Array | undefined, count: number, elemFlags: number, context?: string): number {
  return withScratch((s) => {
    const [chunk, w] = attr(s, MAP_BATCH);
    w.set("keys", s.copy(keys).addr).set("values", s.copy(values).addr).set("count", count)
      .set("map_fd", fd).set("elem_flags", elemFlags);
    const ret = bpfRaw(cmd, chunk.addr, MAP_BATCH.size);
    if (ret < 0) {
      const done = new StructReader(MAP_BATCH, chunk.bytes).num("count");
      throw new BpfSyscallError(cmdName(cmd), -ret, `${context ? `${context}: ` : ""}after ${done} of ${count} elements`);
    }
    return new StructReader(MAP_BATCH, chunk.bytes).num("count");
  });
}

// ---------------------------------------------------------------------------------
// Programs

/** `struct bpf_func_info`: the BTF function type of the subprogram starting at `insnOff`. */
export interface FuncInfo {
  readonly insnOff: number;
  readonly typeId: number;
}

/** `struct bpf_line_info`: where in the source the instruction at `insnOff` came from. */
export interface LineInfo {
  readonly insnOff: number;
  /** Offsets into the BTF string section. */
  readonly fileNameOff: number;
  readonly lineOff: number;
  /** `line << 10 | column`, as BPF_LINE_INFO_LINE_NUM and _LINE_COL unpack it. */
  readonly lineCol: number;
}

/** The attributes of BPF_PROG_LOAD. */
export interface ProgLoadAttr {
  readonly progType: number;
  readonly insns: readonly Instruction[] | Uint8Array;
  readonly license: string;
  /** BPF_LOG_LEVEL1 (1), BPF_LOG_LEVEL2 (2), BPF_LOG_STATS (4), or 0 for no log. */
  readonly logLevel?: number;
  /** The first log buffer's size; it grows on ENOSPC. */
  readonly logSize?: number;
  /** With logLevel 0, load again with a log when the first load fails (default true). */
  readonly logOnFailure?: boolean;
  readonly kernVersion?: number;
  readonly progFlags?: number;
  readonly name?: string;
  readonly ifindex?: number;
  readonly expectedAttachType?: number;
  readonly btfFd?: number;
  readonly funcInfo?: readonly FuncInfo[];
  readonly lineInfo?: readonly LineInfo[];
  readonly attachBtfId?: number;
  readonly attachProgFd?: number;
  readonly attachBtfObjFd?: number;
  /** The maps (and BTF objects) that BPF_PSEUDO_MAP_IDX loads refer to by index. */
  readonly fdArray?: readonly number[];
}

export interface ProgLoadResult {
  readonly fd: number;
  /** The verifier's log; empty when `logLevel` was 0. */
  readonly log: string;
}

/** The largest log buffer tsbpf grows to; the kernel allows up to 1 GiB. */
export const MAX_LOG_SIZE = 256 * 1024 * 1024;
const FIRST_LOG_SIZE = 64 * 1024;

/** Instructions as the kernel reads them: `struct bpf_insn` in host byte order. */
export const insnBytes = (insns: readonly Instruction[] | Uint8Array): Uint8Array =>
  insns instanceof Uint8Array ? insns : encode(insns, { littleEndian: HOST_LITTLE_ENDIAN });

function encodeRecords<T>(items: readonly T[] | undefined, recSize: number, put: (v: DataView, at: number, item: T) => void): Uint8Array | undefined {
  if (!items?.length) return undefined;
  const out = new Uint8Array(items.length * recSize);
  const view = new DataView(out.buffer);
  items.forEach((item, i) => put(view, i * recSize, item));
  return out;
}

interface LoadAttempt {
  readonly ret: number;
  readonly log: string;
  readonly trueSize: number;
}

function loadOnce(a: ProgLoadAttr, code: Uint8Array, logLevel: number, logSize: number): LoadAttempt {
  const le = HOST_LITTLE_ENDIAN;
  const funcInfo = encodeRecords(a.funcInfo, 8, (v, at, f) => {
    v.setUint32(at, f.insnOff, le);
    v.setUint32(at + 4, f.typeId, le);
  });
  const lineInfo = encodeRecords(a.lineInfo, 16, (v, at, l) => {
    v.setUint32(at, l.insnOff, le);
    v.setUint32(at + 4, l.fileNameOff, le);
    v.setUint32(at + 8, l.lineOff, le);
    v.setUint32(at + 12, l.lineCol, le);
  });
  const fdArray = encodeRecords(a.fdArray, 4, (v, at, fd) => v.setInt32(at, fd, le));
  return withScratch((s) => {
    const [chunk, w] = attr(s, PROG_LOAD);
    const log = s.alloc(logLevel ? logSize : 0);
    w.set("prog_type", a.progType).set("insn_cnt", code.length / 8).set("insns", s.copy(code).addr)
      .set("license", s.cstr(a.license).addr).set("log_level", logLevel).set("log_size", log.bytes.length)
      .set("log_buf", log.addr).set("kern_version", a.kernVersion).set("prog_flags", a.progFlags)
      .str("prog_name", a.name).set("prog_ifindex", a.ifindex).set("expected_attach_type", a.expectedAttachType)
      .set("prog_btf_fd", a.btfFd).set("attach_btf_id", a.attachBtfId)
      .set("attach_prog_fd", a.attachProgFd ?? a.attachBtfObjFd).set("fd_array", s.copy(fdArray).addr);
    if (funcInfo) w.set("func_info_rec_size", 8).set("func_info", s.copy(funcInfo).addr).set("func_info_cnt", a.funcInfo!.length);
    if (lineInfo) w.set("line_info_rec_size", 16).set("line_info", s.copy(lineInfo).addr).set("line_info_cnt", a.lineInfo!.length);
    const ret = bpfRaw(Cmd.ProgLoad, chunk.addr, PROG_LOAD.size);
    return { ret, log: cString(log.bytes), trueSize: new StructReader(PROG_LOAD, chunk.bytes).num("log_true_size") };
  });
}

/** The text of a NUL-terminated buffer. */
export function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/**
 * BPF_PROG_LOAD. With a log level, the log buffer grows on ENOSPC (to the size the
 * kernel says it needs, when it says) until the log fits. A rejection with a log is a
 * KernelVerifierError; other failures are BpfSyscallErrors.
 */
export function progLoad(a: ProgLoadAttr, context = "load program"): ProgLoadResult {
  const code = insnBytes(a.insns);
  let level = a.logLevel ?? 0;
  let size = Math.max(a.logSize ?? FIRST_LOG_SIZE, 128);
  let retried = false;
  for (;;) {
    const at = loadOnce(a, code, level, size);
    if (at.ret >= 0) return { fd: at.ret, log: at.log };
    const err = -at.ret;
    if (level === 0) {
      if (a.logOnFailure === false || retried) throw new BpfSyscallError(cmdName(Cmd.ProgLoad), err, context);
      // The first load skips the log to stay fast; a failure is worth a second load that says why.
      level = 1;
      retried = true;
      continue;
    }
    if (err === ENOSPC && size < MAX_LOG_SIZE) {
      size = Math.min(MAX_LOG_SIZE, Math.max(at.trueSize + 1, size * 4));
      continue;
    }
    const cause = new BpfSyscallError(cmdName(Cmd.ProgLoad), err, context);
    if (at.log.trim() === "") throw cause;
    throw new KernelVerifierError(context, err, at.log, { cause, truncated: err === ENOSPC });
  }
}

/** The attributes of BPF_PROG_TEST_RUN. */
export interface TestRunAttr {
  readonly progFd: number;
  readonly dataIn?: Uint8Array;
  /** Room for the packet after the run; by default the input's size plus a page. */
  readonly dataSizeOut?: number;
  readonly ctxIn?: Uint8Array;
  /** Room for the context after the run; by default the input context's size. */
  readonly ctxSizeOut?: number;
  readonly repeat?: number;
  readonly flags?: number;
  readonly cpu?: number;
  readonly batchSize?: number;
}

export interface TestRunResult {
  /** The program's return value, 32 bits as the kernel reports it. */
  readonly retval: number;
  readonly dataOut: Uint8Array | undefined;
  readonly ctxOut: Uint8Array | undefined;
  /**
   * The ctx_in buffer after the run. BPF_PROG_TYPE_SYSCALL programs write their
   * context back there (and refuse a ctx_out).
   */
  readonly ctxInAfter: Uint8Array | undefined;
  /** Mean time per run in nanoseconds. */
  readonly duration: number;
}

/** BPF_PROG_TEST_RUN. */
export function progTestRun(a: TestRunAttr, context = "test run"): TestRunResult {
  return withScratch((s) => {
    const [chunk, w] = attr(s, TEST_RUN);
    const dataIn = s.copy(a.dataIn);
    const dataOut = s.alloc(a.dataSizeOut ?? (a.dataIn ? a.dataIn.length + 4096 : 0));
    const ctxIn = s.copy(a.ctxIn);
    const ctxOut = s.alloc(a.ctxSizeOut ?? a.ctxIn?.length ?? 0);
    w.set("prog_fd", a.progFd).set("data_size_in", dataIn.bytes.length).set("data_size_out", dataOut.bytes.length)
      .set("data_in", dataIn.addr).set("data_out", dataOut.addr).set("repeat", a.repeat)
      .set("ctx_size_in", ctxIn.bytes.length).set("ctx_size_out", ctxOut.bytes.length)
      .set("ctx_in", ctxIn.addr).set("ctx_out", ctxOut.addr).set("flags", a.flags).set("cpu", a.cpu)
      .set("batch_size", a.batchSize);
    bpfCall(Cmd.ProgTestRun, chunk, TEST_RUN.size, context);
    const r = new StructReader(TEST_RUN, chunk.bytes);
    return {
      retval: r.num("retval"),
      dataOut: dataOut.bytes.length ? dataOut.bytes.slice(0, r.num("data_size_out")) : undefined,
      ctxOut: ctxOut.bytes.length ? ctxOut.bytes.slice(0, r.num("ctx_size_out")) : undefined,
      ctxInAfter: ctxIn.bytes.length ? ctxIn.bytes.slice() : undefined,
      duration: r.num("duration"),
    };
  });
}

// ---------------------------------------------------------------------------------
// Objects: pins, ids, info

/** BPF_OBJ_PIN: makes `path` (in a bpffs) hold a reference to the object. */
export function objPin(fd: number, path: string, context?: string): void {
  withScratch((s) => {
    const [chunk, w] = attr(s, OBJ);
    w.set("pathname", s.cstr(path).addr).set("bpf_fd", fd);
    bpfCall(Cmd.ObjPin, chunk, OBJ.size, context ?? `pin ${path}`);
  });
}

/** BPF_OBJ_GET: a new file descriptor for the object pinned at `path`. */
export function objGet(path: string, fileFlags = 0, context?: string): number {
  return withScratch((s) => {
    const [chunk, w] = attr(s, OBJ);
    w.set("pathname", s.cstr(path).addr).set("file_flags", fileFlags);
    return bpfCall(Cmd.ObjGet, chunk, OBJ.size, context ?? `open pin ${path}`);
  });
}

function nextId(cmd: number, start: number): number | undefined {
  return withScratch((s) => {
    const [chunk, w] = attr(s, GET_ID);
    w.set("start_id", start);
    const ret = bpfRaw(cmd, chunk.addr, GET_ID.size);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) throw new BpfSyscallError(cmdName(cmd), -ret);
    return new StructReader(GET_ID, chunk.bytes).num("next_id");
  });
}

function fdById(cmd: number, id: number, openFlags: number, what: string): number {
  return withScratch((s) => {
    const [chunk, w] = attr(s, GET_ID);
    w.set("start_id", id).set("open_flags", openFlags);
    return bpfCall(cmd, chunk, GET_ID.size, `open ${what} id ${id}`);
  });
}

/** BPF_PROG_GET_NEXT_ID: the smallest program id above `start`, or undefined. */
export const progGetNextId = (start: number): number | undefined => nextId(Cmd.ProgGetNextId, start);
/** BPF_MAP_GET_NEXT_ID: the smallest map id above `start`, or undefined. */
export const mapGetNextId = (start: number): number | undefined => nextId(Cmd.MapGetNextId, start);
/** BPF_BTF_GET_NEXT_ID: the smallest BTF object id above `start`, or undefined. */
export const btfGetNextId = (start: number): number | undefined => nextId(Cmd.BtfGetNextId, start);
/** BPF_PROG_GET_FD_BY_ID: a new file descriptor for the program with `id`. */
export const progGetFdById = (id: number, openFlags = 0): number => fdById(Cmd.ProgGetFdById, id, openFlags, "program");
/** BPF_MAP_GET_FD_BY_ID: a new file descriptor for the map with `id`. */
export const mapGetFdById = (id: number, openFlags = 0): number => fdById(Cmd.MapGetFdById, id, openFlags, "map");
/** BPF_BTF_GET_FD_BY_ID: a new file descriptor for the BTF object with `id`. */
export const btfGetFdById = (id: number, openFlags = 0): number => fdById(Cmd.BtfGetFdById, id, openFlags, "btf");

/** An array for the kernel to fill: member `ptr` gets a buffer of `bytes`, member `len` says how much room that is, in the member's own unit. */
export interface InfoArray {
  readonly ptr: string;
  readonly len: string;
  readonly lenValue: number;
  readonly bytes: number;
}

/**
 * BPF_OBJ_GET_INFO_BY_FD into `layout` (bpf_prog_info, bpf_map_info, bpf_btf_info),
 * with room for the arrays asked for. A kernel older than the layout fills a prefix;
 * a newer one stops at the size tsbpf gives.
 */
export function objGetInfoByFd(
  fd: number,
  layout: Layout,
  arrays: readonly InfoArray[] = [],
  context?: string,
): { info: StructReader; arrays: Uint8Array[] } {
  return withScratch((s) => {
    const [chunk, w] = attr(s, INFO);
    const info = s.alloc(layout.size);
    const iw = new StructWriter(layout, info.bytes);
    const bufs = arrays.map((a) => {
      const buf = s.alloc(a.bytes);
      iw.set(a.ptr, buf.addr).set(a.len, a.lenValue);
      return buf;
    });
    w.set("bpf_fd", fd).set("info_len", layout.size).set("info", info.addr);
    bpfCall(Cmd.ObjGetInfoByFd, chunk, INFO.size, context);
    return { info: new StructReader(layout, info.bytes.slice()), arrays: bufs.map((b) => b.bytes.slice()) };
  });
}

// ---------------------------------------------------------------------------------
// BTF

export interface BtfLoadResult {
  readonly fd: number;
  readonly log: string;
}

/**
 * BPF_BTF_LOAD. Like progLoad: the log grows on ENOSPC, and a load without a log that
 * fails is tried again with one, so a KernelBtfError always says why.
 */
export function btfLoad(data: Uint8Array, o: { logLevel?: number; logSize?: number } = {}): BtfLoadResult {
  let level = o.logLevel ?? 0;
  let size = Math.max(o.logSize ?? FIRST_LOG_SIZE, 128);
  let retried = false;
  for (;;) {
    const at = withScratch((s): LoadAttempt => {
      const [chunk, w] = attr(s, BTF_LOAD);
      const log = s.alloc(level ? size : 0);
      w.set("btf", s.copy(data).addr).set("btf_size", data.length).set("btf_log_buf", log.addr)
        .set("btf_log_size", log.bytes.length).set("btf_log_level", level);
      const ret = bpfRaw(Cmd.BtfLoad, chunk.addr, BTF_LOAD.size);
      return { ret, log: cString(log.bytes), trueSize: new StructReader(BTF_LOAD, chunk.bytes).num("btf_log_true_size") };
    });
    if (at.ret >= 0) return { fd: at.ret, log: at.log };
    const err = -at.ret;
    if (level === 0 && !retried) {
      level = 1;
      retried = true;
      continue;
    }
    if (level > 0 && err === ENOSPC && size < MAX_LOG_SIZE) {
      size = Math.min(MAX_LOG_SIZE, Math.max(at.trueSize + 1, size * 4));
      continue;
    }
    throw new KernelBtfError(err, at.log, { cause: new BpfSyscallError(cmdName(Cmd.BtfLoad), err, "load btf") });
  }
}
