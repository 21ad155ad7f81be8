/**
 * @fileoverview The object loader: libbpf's view of a BPF object (`loadObjectSpec`, plain
 * data, no syscalls) and `loadObject`, which makes live maps and programs on an engine.
 */

export { loadObjectSpec, type LoadObjectSpecOptions } from "./spec.js";
export { loadObject, type BpfObject, type LoadObjectOptions, type ObjectEngine } from "./load.js";
export { sourceLine, sourceLineAtSlot, type SourceLine } from "./source.js";
export { SECTION_DEFS, matchSection, type SectionDef, type SectionMatch } from "./sections.js";
export { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, internalMapName, objectName } from "./maps.js";
export type { KconfigValue } from "./externs.js";
export { ObjectError, UnresolvedExternError } from "./errors.js";
export type { FuncInfo, LineInfo, MapEntry, MapSpec, ObjectSpec, PendingCoreRelocation, ProgramSpec, Reference } from "./types.js";
export { INTERP_ENGINE, type InterpObject } from "./interp-engine.js";
export { VERIFY_ENGINES, programAlone, verifyObject, type JudgeOptions, type ProgramJudge, type ProgramVerdict, type VerifyObjectOptions } from "./verify.js";
export { ProgramRejectedError } from "./verify-first.js";
export { JIT_ENGINE } from "./jit-engine.js";
