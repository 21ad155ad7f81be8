/**
 * @fileoverview Patch sites: one wrapper per (object, property) that function probes and
 * policies share, as a Proxy of the original so `this`, `new`, its name and properties
 * stay. A site with nothing attached gives the original back; once a policy has been on
 * it the wrapper stays, non-writable and non-configurable, so the application cannot
 * take the function back from under its policy (it passes straight through when empty).
 */

import { syncBuiltinESMExports } from "node:module";

/** What runs around one call: `before` may throw (a policy's denial); `after` sees the outcome. */
export interface CallObserver {
  /** Runs before the call; returns a token for `after`, or throws to refuse the call. */
  before(args: readonly unknown[], self: unknown): unknown;
  /** Runs when the call has returned (or its promise settled); not run when `before` threw. */
  after?(token: unknown, outcome: { value?: unknown; threw: boolean }): void;
  /**
   * Callback APIs (a last argument that is a function): the call ends when the callback is
   * called, `(err, value)` as Node's APIs call theirs; `after` runs then.
   */
  readonly untilCallback?: boolean;
}

/**
 * What a `before` throws to refuse a call as the API refuses its calls: thrown (sync),
 * handed to the callback (the last argument), or as a rejected promise.
 */
export class Refusal {
  constructor(readonly error: Error, readonly style: "sync" | "callback" | "promise") {}
  deliver(args: readonly unknown[]): unknown {
    if (this.style === "promise") return Promise.reject(this.error);
    const cb = args[args.length - 1];
    if (this.style === "callback" && typeof cb === "function") {
      process.nextTick(cb as (err: Error) => void, this.error);
      return undefined;
    }
    throw this.error;
  }
}

interface Site {
  readonly obj: Record<string, unknown>;
  readonly prop: string;
  readonly original: unknown;
  readonly wrapper: unknown;
  readonly observers: CallObserver[];
  locked: boolean;
}

const SITES = new Map<object, Map<string, Site>>();

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";

function call(site: Site, invoke: (args: readonly unknown[]) => unknown, args: readonly unknown[], self: unknown): unknown {
  const obs = site.observers;
  if (obs.length === 0) return invoke(args);
  // Copied: an observer detached by an observer does not shift the others.
  const list = obs.slice();
  const tokens: unknown[] = [];
  try {
    for (const o of list) tokens.push(o.before(args, self));
  } catch (e) {
    if (e instanceof Refusal) return e.deliver(args);
    throw e;
  }
  const cb = args[args.length - 1];
  const byCallback = typeof cb === "function" ? list.map((o) => o.untilCallback === true) : list.map(() => false);
  const done = (outcome: { value?: unknown; threw: boolean }, callback: boolean) => {
    for (let i = 0; i < list.length; i++) if (byCallback[i] === callback) list[i]!.after?.(tokens[i], outcome);
  };
  let callArgs = args;
  if (byCallback.includes(true)) {
    let called = false;
    const wrapped = function (this: unknown, ...r: unknown[]) {
      if (!called) {
        called = true;
        done(r[0] != null ? { value: r[0], threw: true } : { value: r[1], threw: false }, true);
      }
      return Reflect.apply(cb as (...a: unknown[]) => unknown, this, r);
    };
    callArgs = [...args.slice(0, -1), wrapped];
  }
  let value: unknown;
  try {
    value = invoke(callArgs);
  } catch (e) {
    done({ value: e, threw: true }, false);
    if (byCallback.includes(true)) done({ value: e, threw: true }, true);
    throw e;
  }
  if (isThenable(value) && list.some((o) => o.after)) {
    // The outcome of an async call is its promise's; the app still gets the same promise.
    value.then((v) => done({ value: v, threw: false }, false), (e) => done({ value: e, threw: true }, false));
  } else {
    done({ value, threw: false }, false);
  }
  return value;
}

function site(obj: Record<string, unknown>, prop: string): Site {
  let byProp = SITES.get(obj);
  if (!byProp) SITES.set(obj, (byProp = new Map()));
  let s = byProp.get(prop);
  if (s) return s;
  const original = obj[prop];
  if (typeof original !== "function") throw new TypeError(`${prop} is not a function (${typeof original})`);
  const observers: CallObserver[] = [];
  const wrapper: object = new Proxy(original as (...a: unknown[]) => unknown, {
    apply: (t, self, args) => call(s!, (a) => Reflect.apply(t, self, a), args, self),
    construct: (t, args, nt): object => call(s!, (a) => Reflect.construct(t, a as unknown[], nt === wrapper ? t : nt), args, undefined) as object,
  });
  s = { obj, prop, original, wrapper, observers, locked: false };
  byProp.set(prop, s);
  obj[prop] = wrapper;
  syncBuiltinESMExports();
  return s;
}

/**
 * Adds an observer to `obj[prop]`; returns the undo. `lock` (policies): the wrapper can no
 * longer be replaced or removed by anyone, the application included.
 */
export function observe(obj: Record<string, unknown>, prop: string, o: CallObserver, lock = false): () => void {
  const s = site(obj, prop);
  s.observers.push(o);
  if (lock && !s.locked) {
    s.locked = true;
    Object.defineProperty(obj, prop, { value: s.wrapper, writable: false, configurable: false, enumerable: true });
    syncBuiltinESMExports();
  }
  return () => {
    const i = s.observers.indexOf(o);
    if (i >= 0) s.observers.splice(i, 1);
    if (s.observers.length === 0 && !s.locked) {
      obj[prop] = s.original;
      SITES.get(obj)?.delete(prop);
      syncBuiltinESMExports();
    }
  };
}
