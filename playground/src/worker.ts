// The playground's Web Worker: opens, verifies and runs programs off the page's thread, so
// a long verification or run never freezes the page (the stop button terminates this worker).
import { open, run, verify, type Source, type RunRequest } from "./engine.js";

export type Request =
  | { id: number; op: "open"; source: Source }
  | { id: number; op: "verify"; source: Source; program: string }
  | { id: number; op: "run"; source: Source; run: RunRequest };

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { name: string; message: string } };

// Sources arrive as fresh copies with each message: keep the last one so the engine's cache can match it.
let last: { json: string; source: Source } | undefined;
function same(s: Source): Source {
  const json = s.kind === "asm" ? `asm:${s.type}:${s.license ?? "GPL"}:${s.text}` : `obj:${s.name}:${s.bytes.length}:${s.bytes.reduce((h, b) => (h * 31 + b) | 0, 0)}`;
  if (last?.json === json) return last.source;
  last = { json, source: s };
  return s;
}

self.onmessage = async (ev: MessageEvent<Request>) => {
  const req = ev.data;
  try {
    const source = same(req.source);
    const value = req.op === "open" ? open(source) : req.op === "verify" ? await verify(source, req.program) : await run(source, req.run);
    (self as unknown as Worker).postMessage({ id: req.id, ok: true, value } satisfies Reply);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    (self as unknown as Worker).postMessage({ id: req.id, ok: false, error: { name: err.name, message: err.message } } satisfies Reply);
  }
};
