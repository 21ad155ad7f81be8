/**
 * @fileoverview tsbpf/kernel: the real Linux kernel as a backend, through bpf(2).
 * Node on Linux only; importing it anywhere is safe, and `kernelAvailable()` says
 * whether it works here. Nothing in tsbpf's core imports this module.
 */

export { kernelAvailable, type KernelAvailability } from "./available.js";
export { KernelMap, possibleCpus, type BatchOptions, type BatchResult, type KernelMapSpec, type UpdateFlag } from "./map.js";
export { KernelProgram, type KernelProgramSpec, type TestRunOptions, type TestRunResult } from "./program.js";
export { KernelBtf, intBtf } from "./btf.js";
export { KernelRingBufReader } from "./ringbuf.js";
export { KernelPerfReader, type KernelPerfSample } from "./perf.js";
export { BpfSyscallError, ClosedError, KernelBtfError, KernelVerifierError, summarizeLog } from "./errors.js";
export {
  btfIds, btfInfo, mapIds, mapInfo, programIds, programInfo, programXlated, programXlatedBytes,
  type BtfInfo, type MapInfo, type ProgramInfo,
} from "./info.js";
export { BPFFS_PATH, ensureBpffs, isBpffs } from "./bpffs.js";
export { runInKernel, ORACLE_PROLOGUE_SLOTS, type OracleRun } from "./oracle.js";
export { probeHelper, probeKernel, probeMapType, probeMisc, probeProgramType, type KernelFeatures, type Probe } from "./probe.js";
export { Cmd, cmdName, FileFlags, LogLevel, MapFlags, ProgFlags, TestRunFlags, UpdateFlags } from "./uapi.js";
export { errnoName, errnoText } from "./errno.js";
export { nodeHost } from "./host.js";
/** The typed bpf() commands under the classes, for tools that need them raw. */
export * as bpf from "./bpf.js";
export { attachClassicFilter, attachSocketProgram, detachFilter, loadClassicSocketFilter, DatagramPair, PacketSocket, inNetns, SyscallError } from "./socket-filter.js";
export { installSeccompFilter, runSeccomp, type SeccompRunOptions, type SeccompRunResult } from "./seccomp.js";
export { KernelLink, type Attachment } from "./link.js";
export { linkIds, linkInfo, type LinkInfo } from "./link-info.js";
export {
  attachCgroup, attachKprobe, attachRawTracepoint, attachSocketFilter, attachSockmap, attachTcx, attachTracepoint, attachTracing,
  attachUprobe, attachUprobeMulti, attachXdp, closeAll, ifindexOf, resolveBinary, tracefsRoot, tracepointId,
  type Interface, type SockmapAttachType, type TcxOptions, type UprobeOptions, type XdpOptions,
} from "./attach.js";
export { attachAll, type AttachAllOptions, type AttachedObject, type SectionOf } from "./attach-all.js";
export { AttachError, attachReason, kindUnavailable, type HookKind } from "./attach-errors.js";
export { resolveSymbol } from "./elf-symbols.js";
export { LINK_TYPES, linkTypeName, MprogFlags, XdpFlags } from "./link-uapi.js";
export { currentNetns, netnsPath, withNetns, withNetnsFd } from "./netns.js";
export { netlinkInterfaces, netlinkXdpAttach, netlinkXdpDetach, netlinkXdpList, type NetlinkXdpOptions, type XdpAttachment } from "./netlink-xdp.js";
export { ensureClsact, tcAttach, tcDetach, tcList, type TcFilter, type TcFilterInfo, type TcFilterOptions } from "./netlink-tc.js";
export { attachFilterExpression, attachTest, type AttachTestResult } from "./filter-attach.js";
