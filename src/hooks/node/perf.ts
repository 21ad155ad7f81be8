/**
 * @fileoverview The sampling hook, SEC("tsbpf/perf/<hz>"): V8's sampling profiler (through
 * an in-process inspector session) samples the JS stack <hz> times a second; every
 * `flushMs` the samples are taken and the program runs once per sample, in order, with
 * the sample's stack as the one bpf_get_stackid files (frame ids, innermost first).
 * Idle samples are left out, as an on-CPU profiler leaves them out.
 */

import { Session } from "node:inspector";
import { registerHookProvider } from "../attach.js";
import { offsets } from "../context.js";
import { HookError } from "../errors.js";
import type { HookProgram } from "../load.js";
import { stackModelOf } from "../../maps/stack-trace.js";
import { TSBPF_PERF_CTX } from "../../programs/hook-types.js";

const F = offsets(TSBPF_PERF_CTX);

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface Profile { nodes: ProfileNode[]; startTime: number; samples?: number[]; timeDeltas?: number[] }

/** Frame names by id, shared by every sampling program: "fn (file:line)". */
const FRAMES: string[] = [""];
const FRAME_IDS = new Map<string, number>();

/** The name of a frame id that bpf_get_stackid filed, or undefined. */
export function jsFrameName(id: bigint | number): string | undefined {
  return FRAMES[Number(id)];
}

const frameId = (f: CallFrame): number => {
  const file = f.url.replace(/^file:\/\//, "");
  const name = `${f.functionName || "(anonymous)"}${file ? ` (${file}:${f.lineNumber + 1})` : ""}`;
  let id = FRAME_IDS.get(name);
  if (id === undefined) { id = FRAMES.push(name) - 1; FRAME_IDS.set(name, id); }
  return id;
};

/** How often the samples so far are handed to the program. */
export let flushMs = 1000;
export function setFlushMs(ms: number): void { flushMs = ms; }

function attachPerf(program: HookProgram, target: string): () => void {
  const hz = Number(target);
  if (!Number.isInteger(hz) || hz < 1 || hz > 10_000) throw new HookError(`program ${program.name}: tsbpf/perf/${target}: a sampling rate in Hz (1 to 10000)`);
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<unknown>((res, rej) => session.post(method, params ?? {}, (e, r) => (e ? rej(e) : res(r))));
  const model = stackModelOf(program.object.object.runtime.space);
  const periodNs = Math.round(1e9 / hz);
  let stopped = false;
  const start = () => post("Profiler.start");
  const feed = (p: Profile) => {
    const parent = new Map<number, number>();
    const byId = new Map<number, ProfileNode>();
    for (const n of p.nodes) { byId.set(n.id, n); for (const c of n.children ?? []) parent.set(c, n.id); }
    const c = program.ctx;
    let t = p.startTime; // microseconds, on V8's monotonic clock
    const stacks = new Map<number, bigint[]>();
    p.samples?.forEach((leaf, i) => {
      t += p.timeDeltas?.[i] ?? 0;
      const node = byId.get(leaf);
      if (!node || node.callFrame.functionName === "(idle)" || node.callFrame.functionName === "(root)") return;
      let ips = stacks.get(leaf);
      if (!ips) {
        ips = [];
        for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
          const n = byId.get(id)!;
          if (n.callFrame.functionName === "(root)") break;
          ips.push(BigInt(frameId(n.callFrame)));
        }
        stacks.set(leaf, ips);
      }
      model.user = ips;
      c.clear();
      c.u64(F.ts_ns!, Math.round(t * 1000));
      c.u64(F.period_ns!, periodNs);
      c.u32(F.depth!, ips.length);
      program.run();
    });
    model.user = [];
  };
  const flush = async () => {
    const r = (await post("Profiler.stop")) as { profile: Profile };
    if (!stopped) await start();
    feed(r.profile);
  };
  const ready = post("Profiler.enable").then(() => post("Profiler.setSamplingInterval", { interval: Math.max(1, Math.round(1e6 / hz)) })).then(start);
  let chain: Promise<unknown> = ready;
  const timer = setInterval(() => { chain = chain.then(flush).catch((e) => { program.faults++; program.lastFault = e; }); }, flushMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
    // The last samples still reach the program; then the session closes.
    chain = chain.then(flush).catch(() => undefined).finally(() => session.disconnect());
    pending.add(chain);
    void chain.finally(() => pending.delete(chain));
  };
}

const pending = new Set<Promise<unknown>>();

/** Resolves once every detached sampling hook has handed its last samples over. */
export function perfSettled(): Promise<void> {
  return Promise.all([...pending]).then(() => undefined);
}

registerHookProvider({ type: "tsbpf_perf", attach: attachPerf });
