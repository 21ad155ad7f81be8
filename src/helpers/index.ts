/**
 * @fileoverview Helper functions: the kernel's ids and names, and the table of helpers the
 * userspace runtime implements. Runs anywhere: no Node-only imports here.
 */

export { HELPER_NAMES, helperId, helperName } from "./names.js";
export { HELPER_PROTOS, helperProto, helperProtoFor } from "./protos.js";
export type { ArgKind, ArgSpec, HelperProto, RetKind, RetSpec } from "./proto.js";
export { HELPERS, installHelpers, onTrace, seqOutput, traceOf } from "./table.js";
export { fakeHost, FAKE_TASK_ADDRESS, hostOf, setHost, SystemClock, VirtualClock, writeTaskStruct, type Clock, type Host, type TaskModel } from "./host.js";
export { KernelStruct, SparseMemory, type FieldPlace } from "./kernel-memory.js";
export { KERNEL_ONLY } from "./kernel-only.js";
export { FibResult, netOf, type FibDevice, type FibNeighbour, type FibRoute, type NetModel } from "./fib.js";
export { redirectOf, type Redirect } from "./xdp-helpers.js";
export { formatPrintk, MAX_BPRINTF_ARGS, MAX_PRINTK_ARGS, type PrintkSource } from "./printk.js";
export { socketsOf, type SocketModel } from "./socket-helpers.js";
export { timersOf, TimerClock } from "./timer-helpers.js";
export { BPF_MAX_USER_RINGBUF_SAMPLES, DynptrType } from "./callback-helpers.js";
export { socketOptionsOf, SockoptLevel, BPF_SOCK_OPS_ALL_CB_FLAGS, type SocketOptions } from "./sockopt-helpers.js";
