/**
 * @fileoverview Helper functions: the kernel's ids and names, and the table of helpers the
 * userspace runtime implements. Runs anywhere: no Node-only imports here.
 */

export { HELPER_NAMES, helperId, helperName } from "./names.js";
export { HELPER_PROTOS, helperProto } from "./protos.js";
export type { ArgKind, ArgSpec, HelperProto, RetKind, RetSpec } from "./proto.js";
export { HELPERS, installHelpers, onTrace, traceOf } from "./table.js";
export { formatPrintk, MAX_PRINTK_ARGS, type PrintkSource } from "./printk.js";
