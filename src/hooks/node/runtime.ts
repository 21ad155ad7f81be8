/**
 * @fileoverview Runtime tracepoints, SEC("tsbpf/runtime/<event>"): GC pauses (perf_hooks),
 * event-loop delay (a 10 ms timer's lateness), async resources' init and destroy
 * (async_hooks), uncaught exceptions, process warnings and module loads, in struct
 * tsbpf_rt_ctx. Each source is started at the first attach and stopped at the last detach.
 */

import { createHook } from "node:async_hooks";
import Module from "node:module";
import { PerformanceObserver } from "node:perf_hooks";
import { registerHookProvider } from "../attach.js";
import { HookContext, offsets } from "../context.js";
import type { HookProgram } from "../load.js";
import { TSBPF_RT_CTX } from "../../programs/hook-types.js";
import { observe } from "./patch.js";

const F = offsets(TSBPF_RT_CTX);

/** One event: the fields it sets. */
interface RtEvent { ns?: number; duration?: number; value?: number; kind?: number; name?: string | undefined }
type Emit = (e: RtEvent) => void;

/** One source per event: `start(emit)` returns its stop. */
const SOURCES: Readonly<Record<string, { readonly id: number; start(emit: Emit): () => void }>> = {
  gc: {
    id: 1,
    start(emit) {
      const obs = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          const kind = (e as { detail?: { kind?: number } }).detail?.kind ?? 0;
          emit({ ns: Math.round(e.startTime * 1e6), duration: Math.round(e.duration * 1e6), kind, value: kind });
        }
      });
      obs.observe({ entryTypes: ["gc"] });
      return () => obs.disconnect();
    },
  },
  loop_delay: {
    id: 2,
    start(emit) {
      const PERIOD = 10;
      let due = performance.now() + PERIOD;
      const t = setInterval(() => {
        const now = performance.now();
        emit({ value: Math.max(0, Math.round((now - due) * 1e6)) });
        due = now + PERIOD;
      }, PERIOD);
      t.unref();
      return () => clearInterval(t);
    },
  },
  async_init: {
    id: 3,
    start(emit) {
      const h = createHook({ init: (asyncId, type, trigger) => emit({ value: asyncId, kind: trigger, name: type }) }).enable();
      return () => h.disable();
    },
  },
  async_destroy: {
    id: 4,
    start(emit) {
      const h = createHook({ destroy: (asyncId) => emit({ value: asyncId }) }).enable();
      return () => h.disable();
    },
  },
  uncaught: {
    id: 5,
    start(emit) {
      // The monitor sees the error and changes nothing of what Node does with it.
      const fn = (e: unknown) => emit({ name: e instanceof Error ? e.message : String(e) });
      process.on("uncaughtExceptionMonitor", fn);
      return () => process.off("uncaughtExceptionMonitor", fn);
    },
  },
  warning: {
    id: 6,
    start(emit) {
      const fn = (w: Error) => emit({ name: `${w.name}: ${w.message}` });
      process.on("warning", fn);
      return () => process.off("warning", fn);
    },
  },
  module_load: {
    id: 7,
    start(emit) {
      return observe(Module as unknown as Record<string, unknown>, "_load", { before: (args) => { emit({ name: String(args[0]) }); return undefined; } });
    },
  },
};

export const RUNTIME_EVENTS: readonly string[] = Object.keys(SOURCES);

function attachRuntime(program: HookProgram, target: string): () => void {
  const src = SOURCES[target]!;
  const c = program.ctx;
  let busy = false;
  const stop = src.start((e) => {
    // async_hooks would see the hook's own work: never re-enter.
    if (busy) return;
    busy = true;
    try {
      c.clear();
      c.u64(F.ts_ns!, e.ns ?? HookContext.nowNs());
      c.u64(F.duration_ns!, e.duration ?? 0);
      c.u64(F.value!, e.value ?? 0);
      c.u32(F.event!, src.id);
      c.u32(F.kind!, e.kind ?? 0);
      c.str(F["name.ptr"]!, e.name);
      program.run();
    } catch (err) {
      program.faults++;
      program.lastFault = err;
    } finally {
      busy = false;
    }
  });
  return stop;
}

registerHookProvider({ type: "tsbpf_runtime", targets: RUNTIME_EVENTS, attach: attachRuntime });
