/**
 * @fileoverview The userspace runtime: an address space over WebAssembly memory, the
 * interpreter, helpers by id, and test runs. Runs anywhere: no Node-only imports here.
 */

export { AddressSpace, GUARD_SIZE, Perm, Region, type RegionKind, type RegionOptions } from "./address-space.js";
export { compile, type CompiledProgram, type CompileOptions } from "./compile.js";
export {
  BudgetExhaustedError, CallFault, describeInsn, ExecutionError, HelperError, InvalidInstructionFault, JumpFault, MemoryFault, type AccessKind,
} from "./errors.js";
export { HelperRegistry, type HelperArgs, type HelperDef, type HelperEnv, type HelperFn, type RunInfo } from "./helpers.js";
export {
  BPF_MAX_LOOPS, execute, Machine, MAX_BPF_STACK, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT,
  type ProgramArray, type ProgramArrayResolver, type TailCallTarget,
} from "./interpreter.js";
export { RUN_TYPES, XDP_PACKET_HEADROOM, type ProgramTypeOps } from "./program-types.js";
export {
  DEFAULT_BUDGET, Runtime, RuntimeProgram, runRaw, type RuntimeEngine,
  defaultEngine,
  type LoadOptions, type RawRunResult, type RunMode, type RuntimeOptions, type TestRunOptions, type TestRunResult,
} from "./runtime.js";
