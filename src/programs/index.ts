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
