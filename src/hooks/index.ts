/**
 * @fileoverview The hooks' core, browser-safe: loading verified hook programs, their
 * contexts in linear memory, `attach`/`Link` over registered providers. Node's providers
 * (diagnostics_channel, probes, policies, runtime events, sampling) are in ./node.
 */

export { loadHooks, HookProgram, type HookObject, type LoadHooksOptions } from "./load.js";
export { attach, Link, registerHookProvider, hookProvider, type AttachOptions, type HookProvider } from "./attach.js";
export { HookContext, offsets } from "./context.js";
export { HookError, PolicyDeniedError } from "./errors.js";
