/**
 * @fileoverview tsbpf's hooks in Node.js: `loadHooks` with this process as the helpers'
 * host, `attach(program, hook)`, and every Node hook provider (diagnostics_channel,
 * function probes, policies, runtime events, the sampling timer) registered on import.
 */

import { nodeHost } from "../../kernel/host.js";
import { loadHooks as loadCore, type HookObject, type LoadHooksOptions } from "../load.js";
import type { ObjectSpec } from "../../object/types.js";
import "./dc.js";
import "./probes.js";
import "./policy.js";
import "./runtime.js";
import "./perf.js";

export { attach, Link, type AttachOptions } from "../attach.js";
export { HookProgram, type HookObject } from "../load.js";
export { HookError, PolicyDeniedError } from "../errors.js";
export { DC_CHANNELS } from "./dc.js";

/** Loads an object's hook programs, whose helpers see this process (pid, uid, comm, clock). */
export function loadHooks(input: Uint8Array | ObjectSpec, options: LoadHooksOptions = {}): HookObject {
  return loadCore(input, { host: options.host ?? nodeHost() });
}
export { POLICY_HOOKS } from "./policy.js";
export { resolveTarget } from "./probes.js";
export { RUNTIME_EVENTS } from "./runtime.js";
export { jsFrameName, perfSettled, setFlushMs } from "./perf.js";
