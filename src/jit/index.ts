/**
 * @fileoverview The WebAssembly JIT: programs compiled to modules that share the runtime's
 * memory, run by `Runtime.load(insns, { engine: "jit" })`. No Node-only imports.
 */

export { compileModule, type JitCompileOptions, type JitModule } from "./compiler.js";
export { JitContext, type JitCode } from "./host.js";
export { ModuleBuilder } from "./wasm.js";
export { toWat } from "./wat.js";
