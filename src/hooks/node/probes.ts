/**
 * @fileoverview Function probes, the uprobes of JavaScript: SEC("tsbpf/fentry/<fn>") and
 * SEC("tsbpf/fexit/<fn>") on a function of a CommonJS or builtin module (`fs.readFileSync`,
 * `fs.promises.readFile`, `./db.js#query`) or of the global object (`globalThis.fetch`),
 * with the arguments as typed slots of struct tsbpf_fn_ctx and, on return, the value and
 * the duration (an async function's once its promise settles).
 */

import { createRequire } from "node:module";
import { builtinModules } from "node:module";
import { registerHookProvider } from "../attach.js";
import { HookContext, offsets } from "../context.js";
import { HookError } from "../errors.js";
import type { HookProgram } from "../load.js";
import { TSBPF_FN_CTX, TSBPF_MAX_ARGS } from "../../programs/hook-types.js";
import { observe } from "./patch.js";

const F = offsets(TSBPF_FN_CTX);

/** enum tsbpf_arg_type */
const enum Arg { Undefined = 0, Number = 1, Boolean = 2, String = 3, Buffer = 4, Object = 5, Function = 6, Null = 7, BigInt = 8 }

const INT64_MAX = 2 ** 63;

/** The offsets of one `struct tsbpf_arg` ("args[0]" or "ret"), looked up once. */
interface ArgOffsets { readonly type: number; readonly len: number; readonly num: number; readonly bits: number; readonly str: number }
const argOffsets = (base: string): ArgOffsets => ({
  type: F[`${base}.type`]!, len: F[`${base}.len`]!, num: F[`${base}.num`]!, bits: F[`${base}.bits`]!, str: F[`${base}.str.ptr`]!,
});
const ARGS = Array.from({ length: TSBPF_MAX_ARGS }, (_, i) => argOffsets(`args[${i}]`));
const RET = argOffsets("ret");

/** Writes one value as the `struct tsbpf_arg` at `a`. */
function writeArg(c: HookContext, a: ArgOffsets, v: unknown): void {
  switch (typeof v) {
    case "undefined": return; // zeroed: TSBPF_ARG_UNDEFINED
    case "number": {
      c.u32(a.type, Arg.Number);
      const n = Math.trunc(v);
      c.u64(a.num, Number.isFinite(n) ? Math.max(-INT64_MAX, Math.min(INT64_MAX - 1024, n)) : 0);
      c.f64(a.bits, v);
      return;
    }
    case "boolean": c.u32(a.type, Arg.Boolean); c.u64(a.num, v ? 1 : 0); return;
    case "string": c.u32(a.type, Arg.String); c.u32(a.len, v.length); c.str(a.str, v); return;
    case "bigint": c.u32(a.type, Arg.BigInt); c.big(a.num, v); return;
    case "function": c.u32(a.type, Arg.Function); return;
    default:
      if (v === null) { c.u32(a.type, Arg.Null); return; }
      if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
        const b = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
        c.u32(a.type, Arg.Buffer); c.u32(a.len, b.length); c.bytes(a.str, b);
        return;
      }
      c.u32(a.type, Arg.Object);
  }
}

/** The object and property a probe target names: `mod.a.b`, `mod#a.b` or `globalThis.a.b`. */
export function resolveTarget(target: string, from = process.cwd() + "/"): { obj: Record<string, unknown>; prop: string; builtin: boolean } {
  const hash = target.lastIndexOf("#");
  let mod: string, path: string[];
  if (hash > 0) { mod = target.slice(0, hash); path = target.slice(hash + 1).split("."); }
  else { const parts = target.split("."); mod = parts[0]!; path = parts.slice(1); }
  if (path.length === 0 || path.some((p) => p === "")) throw new HookError(`probe target ${target}: name a function (module.fn, module#path.fn or globalThis.fn)`);
  let root: unknown;
  let builtin = false;
  if (mod === "globalThis") root = globalThis;
  else {
    const bare = mod.replace(/^node:/, "");
    const req = createRequire(from);
    try {
      builtin = builtinModules.includes(bare);
      root = builtin ? req(`node:${bare}`) : req(mod);
    } catch (e) {
      throw new HookError(`probe target ${target}: cannot load module ${mod}: ${(e as Error).message.split("\n")[0]}`, { cause: e });
    }
  }
  let obj = root as Record<string, unknown>;
  for (const p of path.slice(0, -1)) {
    const next = obj?.[p];
    if ((typeof next !== "object" && typeof next !== "function") || next === null) throw new HookError(`probe target ${target}: ${p} is not an object`);
    obj = next as Record<string, unknown>;
  }
  const prop = path[path.length - 1]!;
  if (typeof obj[prop] !== "function") throw new HookError(`probe target ${target}: not a function (${typeof obj[prop]})`);
  return { obj, prop, builtin };
}

/**
 * Node's callback APIs: a function of a builtin module, not *Sync, not under `promises`:
 * called with a last function argument, its return probe fires when that callback runs.
 */
const callbackApi = (target: string, builtin: boolean, prop: string) => builtin && !prop.endsWith("Sync") && !/\.promises\./.test(target) && !target.includes("#");

let nextCall = 1;

function attachProbe(ret: boolean) {
  return (program: HookProgram, target: string): (() => void) => {
    const { obj, prop, builtin } = resolveTarget(target);
    const untilCallback = ret && callbackApi(target, builtin, prop);
    const c = program.ctx;
    const begin = (args: readonly unknown[], t0: number, id: number) => {
      c.clear();
      c.u64(F.id!, id);
      c.u32(F.nargs!, args.length);
      c.str(F["name.ptr"]!, target);
      const n = Math.min(args.length, TSBPF_MAX_ARGS);
      for (let i = 0; i < n; i++) writeArg(c, ARGS[i]!, args[i]);
      return t0;
    };
    return observe(obj, prop, ret
      ? {
          untilCallback,
          before: (args) => ({ args, t0: HookContext.nowNs(), id: nextCall++ }),
          after: (tok, out) => {
            const { args, t0, id } = tok as { args: readonly unknown[]; t0: number; id: number };
            const now = HookContext.nowNs();
            try {
              begin(args, t0, id);
              c.u64(F.ts_ns!, now);
              c.u64(F.duration_ns!, now - t0);
              c.u32(F.is_return!, 1);
              c.u32(F.threw!, out.threw ? 1 : 0);
              writeArg(c, RET, out.value);
            } catch (e) { program.faults++; program.lastFault = e; return; }
            program.run();
          },
        }
      : {
          before: (args) => {
            try {
              c.u64(F.ts_ns!, begin(args, HookContext.nowNs(), nextCall++));
            } catch (e) { program.faults++; program.lastFault = e; return; }
            program.run();
          },
        });
  };
}

registerHookProvider({ type: "tsbpf_fentry", attach: attachProbe(false) });
registerHookProvider({ type: "tsbpf_fexit", attach: attachProbe(true) });
