/**
 * @fileoverview The part of the WebAssembly JavaScript API the JIT uses, typed here because
 * the project's lib settings have no WebAssembly types, and found on `globalThis` so the
 * core runs in any host that has it.
 */

import { NotSupportedError } from "../errors.js";
import type { LinearMemory } from "../runtime/address-space.js";

export interface WasmGlobal<V> { value: V }
export interface WasmTable {
  readonly length: number;
  grow(n: number): number;
  set(i: number, f: unknown): void;
}
export interface WasmInstance { readonly exports: Record<string, unknown> }
export interface WasmModule { readonly _brand?: "module" }

export interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Global: new <V>(d: { value: "i32" | "i64"; mutable: boolean }, v: V) => WasmGlobal<V>;
  Table: new (d: { element: "anyfunc"; initial: number }) => WasmTable;
  validate(bytes: Uint8Array): boolean;
}

/** The host's WebAssembly, or undefined. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

/** The host's WebAssembly, or a NotSupportedError. */
export function requireWasm(): WasmApi {
  const w = wasmApi();
  if (!w) throw new NotSupportedError("the jit engine", "this host has no WebAssembly");
  return w;
}

export type { LinearMemory };
