/**
 * @fileoverview A live kernel program: loaded from a plain spec through the kernel's
 * verifier, owning its file descriptor, runnable with BPF_PROG_TEST_RUN.
 */

import type { Instruction } from "../isa/instruction.js";
import { attachTypeId, programTypeId, programTypeName, type AttachTypeName, type ProgramTypeName } from "../programs/types.js";
import * as bpf from "./bpf.js";
import { OwnedFd } from "./fd.js";
import { programInfo, programXlated, type ProgramInfo } from "./info.js";
import { closeFd } from "./native.js";
import { ProgFlags } from "./uapi.js";

/** BPF_PROG_TYPE_SYSCALL, which must be sleepable and writes its context back in place. */
const SYSCALL = programTypeId("syscall");

/** What a program is loaded from: plain data, copied at load. */
export interface KernelProgramSpec {
  /** A program type id, or its short name: "socket_filter", "xdp", "syscall". */
  readonly type: number | ProgramTypeName;
  /** Decoded instructions, or bytecode in host byte order. */
  readonly instructions: readonly Instruction[] | Uint8Array;
  /** The license string the kernel checks GPL-only helpers against; default "GPL". */
  readonly license?: string;
  readonly expectedAttachType?: number | AttachTypeName;
  /** 0 (default): no log unless the load fails; 1: the verifier's log; 2: every state. */
  readonly logLevel?: number;
  /** The first log buffer size; it grows when the log does not fit. */
  readonly logSize?: number;
  /** Up to 15 characters of [A-Za-z0-9_.]. */
  readonly name?: string;
  /** BPF_F_* program flags (`ProgFlags`); syscall programs get BPF_F_SLEEPABLE unless this is given. */
  readonly flags?: number;
  /** BTF for func_info and line_info. */
  readonly btfFd?: number;
  readonly funcInfo?: readonly bpf.FuncInfo[];
  readonly lineInfo?: readonly bpf.LineInfo[];
  /** The fds that BPF_PSEUDO_MAP_IDX loads index into. */
  readonly fdArray?: readonly number[];
  readonly attachBtfId?: number;
  readonly attachBtfObjFd?: number;
  readonly attachProgFd?: number;
  readonly ifindex?: number;
  readonly kernVersion?: number;
}

export interface TestRunOptions {
  /** The packet for packet programs (XDP, socket filters, tc). */
  readonly data?: Uint8Array;
  /** The context (`struct __sk_buff`, `struct xdp_md`, a syscall program's argument). */
  readonly ctx?: Uint8Array;
  /** Runs in a loop this many times; the duration is the mean. */
  readonly repeat?: number;
  /** Room for the packet after the run; by default its size plus a page. */
  readonly dataSizeOut?: number;
  /** BPF_F_TEST_* flags (`TestRunFlags`). */
  readonly flags?: number;
  readonly cpu?: number;
}

export interface TestRunResult {
  /** r0 at exit, truncated to 32 bits by the kernel. */
  readonly retval: number;
  /** The packet after the run. */
  readonly data?: Uint8Array;
  /** The context after the run. */
  readonly ctx?: Uint8Array;
  /** Mean nanoseconds per run, as the kernel measured it. */
  readonly durationNs: number;
}

/** A program in the kernel. Load one with `KernelProgram.load(spec)`; `close()` when done. */
export class KernelProgram {
  readonly type: number;
  readonly typeName: string;
  readonly name: string;
  /** The verifier's log of the load, when `logLevel` was above 0; "" otherwise. */
  readonly log: string;
  readonly #fd: OwnedFd;

  private constructor(fd: number, type: number, name: string, log: string) {
    this.type = type;
    this.typeName = programTypeName(type);
    this.name = name;
    this.log = log;
    this.#fd = new OwnedFd(fd, this.describe());
  }

  /**
   * Loads a program (BPF_PROG_LOAD). A program the verifier rejects throws a
   * KernelVerifierError whose message is the log's last line and whose `log` is all
   * of it; a load without a log is repeated with one to get it.
   */
  static load(spec: KernelProgramSpec): KernelProgram {
    const type = programTypeId(spec.type);
    const what = spec.name ? `load ${programTypeName(type)} program "${spec.name}"` : `load ${programTypeName(type)} program`;
    const { fd, log } = bpf.progLoad({
      progType: type,
      insns: spec.instructions,
      license: spec.license ?? "GPL",
      logLevel: spec.logLevel,
      logSize: spec.logSize,
      progFlags: spec.flags ?? (type === SYSCALL ? ProgFlags.Sleepable : 0),
      name: spec.name,
      expectedAttachType: spec.expectedAttachType === undefined ? undefined : attachTypeId(spec.expectedAttachType),
      btfFd: spec.btfFd,
      funcInfo: spec.funcInfo,
      lineInfo: spec.lineInfo,
      fdArray: spec.fdArray,
      attachBtfId: spec.attachBtfId,
      attachBtfObjFd: spec.attachBtfObjFd,
      attachProgFd: spec.attachProgFd,
      ifindex: spec.ifindex,
      kernVersion: spec.kernVersion,
    }, what);
    return new KernelProgram(fd, type, spec.name ?? "", log);
  }

  /** Takes ownership of a program file descriptor; its type and name come from the kernel. */
  static fromFd(fd: number): KernelProgram {
    let info: ProgramInfo;
    try {
      info = programInfo(fd);
    } catch (e) {
      closeFd(fd);
      throw e;
    }
    return new KernelProgram(fd, info.type, info.name, "");
  }

  /** Opens the program with a kernel id (BPF_PROG_GET_FD_BY_ID). */
  static fromId(id: number): KernelProgram {
    return KernelProgram.fromFd(bpf.progGetFdById(id));
  }

  /** Opens a pinned program (BPF_OBJ_GET). */
  static fromPin(path: string): KernelProgram {
    return KernelProgram.fromFd(bpf.objGet(path));
  }

  /** The file descriptor; throws after `close()`. */
  get fd(): number {
    return this.#fd.value;
  }

  get closed(): boolean {
    return this.#fd.closed;
  }

  private describe(): string {
    return this.name ? `program "${this.name}"` : `${this.typeName} program`;
  }

  /**
   * Runs the program in the kernel (BPF_PROG_TEST_RUN) on `data` and/or `ctx`. A
   * syscall program's context is written back in place; the result has it as `ctx`
   * either way.
   */
  testRun(o: TestRunOptions = {}): TestRunResult {
    const syscall = this.type === SYSCALL;
    const r = bpf.progTestRun({
      progFd: this.fd,
      dataIn: o.data,
      dataSizeOut: o.dataSizeOut,
      ctxIn: o.ctx,
      ctxSizeOut: syscall ? 0 : undefined,
      repeat: o.repeat,
      flags: o.flags,
      cpu: o.cpu,
    }, `test run ${this.describe()}`);
    const ctx = syscall ? r.ctxInAfter : r.ctxOut;
    return {
      retval: r.retval,
      ...(r.dataOut ? { data: r.dataOut } : {}),
      ...(ctx ? { ctx } : {}),
      durationNs: r.duration,
    };
  }

  /** Pins the program at `path` in a bpffs (BPF_OBJ_PIN); see `ensureBpffs`. */
  pin(path: string): void {
    bpf.objPin(this.fd, path, `pin ${this.describe()} at ${path}`);
  }

  /** What the kernel says about the program (BPF_OBJ_GET_INFO_BY_FD). */
  info(): ProgramInfo {
    return programInfo(this.fd);
  }

  /** The instructions as the kernel keeps them after verification and rewriting. */
  xlated(): Instruction[] {
    return programXlated(this.fd);
  }

  /** Closes the file descriptor; the program lives on while pins or attachments hold it. Closing twice is harmless. */
  close(): void {
    this.#fd.close();
  }
}
