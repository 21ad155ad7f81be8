/**
 * @fileoverview Program types: the kernel's enums, the one table of types (context
 * layouts and access rules, helpers, return codes, runs), and the verifier's view of it.
 */

export * from "./types.js";
export * from "./access.js";
export * from "./layouts.js";
export { PROGRAM_TYPE_TABLE, programType, verifierOpsFor, helpersFor, defaultAttachType, returnCodeName, RUN_TYPES, type Disposition, type ProgramTypeRow, type ReturnCodes } from "./table.js";
export type { AccessRule } from "./ctx-access.js";
export { COMMON_HELPERS, HELPER_SETS } from "./helper-sets.js";
export { argsShape, attachArgsOf, encodeContext, KPROBE_SHAPE, parseArgPairs, parseTracepointFormat, RAW_ARGS_SHAPE, shapeOfLayout, shapeOfStruct, syscallTracepointShape, tracedArgs, type ContextShape, type ShapeField, type TracedArg } from "./trace-context.js";
export { HOOK_TYPE_TABLE, hookTypeOfSection, hookVerifierOps, hookAccess, TSBPF_DC_CTX, TSBPF_FN_CTX, TSBPF_POLICY_CTX, TSBPF_RT_CTX, TSBPF_PERF_CTX, TSBPF_STR_MAX, TSBPF_MAX_ARGS, type HookTypeRow } from "./hook-types.js";
