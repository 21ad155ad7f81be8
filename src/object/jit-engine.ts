/**
 * @fileoverview The "jit" engine of `loadObject`: the interp engine's loading (one Runtime,
 * maps in its address space), with every program compiled to WebAssembly. No Node imports.
 */

import type { RuntimeProgram } from "../runtime/runtime.js";
import type { BpfMap } from "../maps/map.js";
import { type InterpObject, loadIntoRuntime } from "./interp-engine.js";
import type { LoadObjectOptions, ObjectEngine } from "./load.js";
import type { ObjectSpec } from "./types.js";

export const JIT_ENGINE: ObjectEngine<RuntimeProgram, BpfMap> & { load(spec: ObjectSpec, options: LoadObjectOptions): InterpObject } = {
  name: "jit",
  load: (spec, options) => loadIntoRuntime(spec, options, "jit"),
};
