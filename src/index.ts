/**
 * @fileoverview tsbpf's public API: the parts that run anywhere (browsers included).
 * Node-only parts have their own entry points: `tsbpf/kernel` for the real bpf().
 */

export * from "./errors.js";
export * from "./isa/index.js";
export { readElf, writeElf } from "./elf/index.js";
export type { ElfFile, ElfRelocation, ElfSection, ElfSymbol, ElfWriterSpec } from "./elf/index.js";
export { listObject, codeSections } from "./object/listing.js";
export { HELPER_NAMES, helperId, helperName } from "./helpers/names.js";
export * from "./btf/index.js";
export {
  loadObjectSpec, loadObject, sourceLine, SECTION_DEFS, matchSection, internalMapName, objectName,
  ObjectError, UnresolvedExternError, INTERP_ENGINE,
} from "./object/index.js";
export type {
  BpfObject, LoadObjectOptions, LoadObjectSpecOptions, ObjectEngine, SourceLine, SectionDef, SectionMatch, KconfigValue,
  MapEntry, MapSpec, ObjectSpec, PendingCoreRelocation, ProgramSpec, Reference,
  FuncInfo as ProgramFuncInfo, LineInfo as ProgramLineInfo,
} from "./object/index.js";
export { PROGRAM_TYPES, ATTACH_TYPES } from "./programs/types.js";
export {
  PROGRAM_TYPE_TABLE, programType, verifierOpsFor, helpersFor, defaultAttachType, returnCodeName,
  encodeContext, parseTracepointFormat, shapeOfStruct, tracedArgs, attachArgsOf, KPROBE_SHAPE,
} from "./programs/index.js";
export type {
  ProgramTypeRow, Disposition, ProgramTypeVerifierOps, CtxAccess, CtxAccessVerdict, CtxFieldType, ReturnRange, AttachArg,
  CtxLayout, CtxField, ContextShape,
} from "./programs/index.js";
export * from "./capture/index.js";
export * from "./maps/index.js";
export { HELPERS, installHelpers, traceOf, onTrace, formatPrintk } from "./helpers/index.js";
export { HELPER_PROTOS, helperProto, fakeHost, hostOf, setHost, VirtualClock, SystemClock, writeTaskStruct, KernelStruct, SparseMemory, seqOutput } from "./helpers/index.js";
export type { Host, TaskModel, Clock, HelperProto, ArgSpec, RetSpec } from "./helpers/index.js";
export { socketsOf, socketOptionsOf, timersOf, type SocketModel } from "./helpers/index.js";
export {
  AddressSpace, Perm, Region, Runtime, RuntimeProgram, runRaw, HelperRegistry, RUN_TYPES,
  ExecutionError, MemoryFault, JumpFault, InvalidInstructionFault, BudgetExhaustedError, CallFault, HelperError,
  MAX_BPF_STACK, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT, XDP_PACKET_HEADROOM,
} from "./runtime/index.js";
export type { LoadOptions as RuntimeLoadOptions, RawRunResult, RunMode, TestRunOptions, TestRunResult, HelperFn, HelperDef } from "./runtime/index.js";
export { verifyProgram, verifyObject, explain } from "./verifier/index.js";
export type { VerifyOptions, VerifyResult, VerifyError, ProgramVerdict } from "./verifier/index.js";
export { toWat, type JitCode } from "./jit/index.js";
export { validateClassic, checkSeccompFilter, ClassicValidationError, CLASSIC_OPCODES, ANCILLARY_NAMES, SECCOMP_DATA_SIZE } from "./cbpf/validate.js";
export { convertClassic, type ClassicKind, type ConvertOptions } from "./cbpf/convert.js";
export * as seccomp from "./seccomp/index.js";
// tcpdump's filter language, cBPF text forms and the classic interpreter (branch pcap).
export { compileFilter, FilterError, BUILTIN_NAMES, type CompileOptions, type CompiledFilter, type NameResolver } from "./cbpf/pcap/index.js";
export { runCbpf, CbpfExecutionError, type CbpfContext } from "./cbpf/interpreter.js";
export { formatListing, formatC, formatDecimal, formatProgram, parseProgram, imageInsn } from "./cbpf/text.js";
export { loadHooks, attach, Link, HookProgram, HookError, PolicyDeniedError, registerHookProvider, type HookObject, type HookProvider } from "./hooks/index.js";
