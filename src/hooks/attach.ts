/**
 * @fileoverview `attach(program, hook)`: the hook providers (the Node adapters register
 * theirs, one per hook type) and the Link that `detach()` undoes. Browser-safe: a
 * provider is whatever can call a program when its hook fires.
 */

import { HookError } from "./errors.js";
import type { HookProgram } from "./load.js";

/** Whatever makes a hook type's hooks fire: `attach` returns the undo. */
export interface HookProvider {
  /** The hook type it serves: "tsbpf_dc". */
  readonly type: string;
  /** The hooks it knows, for messages and `tsbpf tools`; undefined when any name goes (function probes). */
  readonly targets?: readonly string[];
  attach(program: HookProgram, target: string): () => void;
}

const PROVIDERS = new Map<string, HookProvider>();

/** Makes a provider the one for its hook type (the Node adapters call this on import). */
export function registerHookProvider(p: HookProvider): void {
  PROVIDERS.set(p.type, p);
}

/** The provider of a hook type, if one is registered. */
export function hookProvider(type: string): HookProvider | undefined {
  return PROVIDERS.get(type);
}

export interface AttachOptions {
  /**
   * Policies only: the secret `detach` must be given. A policy is meant to constrain the
   * application, so its link detaches only with the key of whoever attached it.
   */
  readonly key?: string;
}

/** One program attached to one hook, until `detach()`. */
export class Link {
  #undo: (() => void) | undefined;
  readonly #key: string | undefined;

  constructor(readonly program: HookProgram, readonly hook: string, undo: () => void, key?: string) {
    this.#undo = undo;
    this.#key = key;
  }

  get attached(): boolean {
    return this.#undo !== undefined;
  }

  /** Removes the program from its hook; the hook is as it was before. Idempotent. */
  detach(key?: string): void {
    if (!this.#undo) return;
    if (this.#key !== undefined && key !== this.#key) {
      throw new HookError(`policy ${this.program.name} on ${this.hook}: a policy detaches only with the key it was attached with`);
    }
    const undo = this.#undo;
    this.#undo = undefined;
    undo();
  }
}

/**
 * Attaches a verified hook program to `hook` (by default the one its section names:
 * SEC("tsbpf/dc/http.server.request.start") attaches to http.server.request.start).
 */
export function attach(program: HookProgram, hook: string = program.target, options: AttachOptions = {}): Link {
  const provider = PROVIDERS.get(program.row.name);
  if (!provider) throw new HookError(`program ${program.name}: no provider for ${program.row.name} hooks here (import tsbpf's Node hooks first)`);
  if (provider.targets && !provider.targets.includes(hook)) {
    throw new HookError(`program ${program.name}: unknown ${program.row.section} hook ${hook} (known: ${provider.targets.join(", ")})`);
  }
  const policy = program.row.name === "tsbpf_policy";
  if (policy && options.key === undefined) throw new HookError(`policy ${program.name}: attach with a key, which detach will need`);
  return new Link(program, hook, provider.attach(program, hook), policy ? options.key : undefined);
}
