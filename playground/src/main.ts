/**
 * @fileoverview The playground page: four panes (source, listing, verifier, run) over a
 * Web Worker that does the work (worker.ts, engine.ts). State that can be shared (the
 * sample or the assembly text, and the settings) lives in the URL fragment.
 */

import { EditorView, keymap, lineNumbers, highlightActiveLine } from "@codemirror/view";
import { EditorState } from "@codemirror/state";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { syntaxHighlighting, defaultHighlightStyle } from "@codemirror/language";
import TsbpfWorker from "./worker.ts?worker&inline";
import { tsbpfAsm } from "./asm-language.js";
import { CAPTURES, SAMPLES, type Sample } from "./samples.js";
import type { Opened, RunResult, Source, Verdict } from "./engine.js";
import type { Reply, Request } from "./worker.js";
import type { RegJson, StepJson } from "../../src/verifier/states-json.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

/** Runs requests in a worker; stop() terminates it (a runaway verification or run with it) and starts a fresh one. */
class Client {
  private worker = new TsbpfWorker();
  private next = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  constructor(private onBusy: (busy: boolean) => void) { this.wire(); }
  private wire() {
    this.worker.onmessage = (ev: MessageEvent<Reply>) => {
      const r = ev.data;
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      this.onBusy(this.pending.size > 0);
      if (r.ok) p.resolve(r.value);
      else p.reject(Object.assign(new Error(r.error.message), { name: r.error.name }));
    };
    this.worker.onerror = (ev) => {
      ev.preventDefault();
      for (const p of this.pending.values()) p.reject(new Error(`the worker failed: ${ev.message}`));
      this.pending.clear();
      this.onBusy(false);
    };
  }
  call<T>(req: WithoutId<Request>): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.onBusy(true);
      this.worker.postMessage({ ...req, id } as Request);
    });
  }
  stop() {
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(Object.assign(new Error("stopped: the worker was terminated"), { name: "Stopped" }));
    this.pending.clear();
    this.worker = new TsbpfWorker();
    this.wire();
    this.onBusy(false);
  }
}

const status = (text: string) => { $("status").textContent = text; };
const client = new Client((busy) => { ($("stop") as HTMLButtonElement).disabled = !busy; if (busy) status("working…"); });

// ---- state -------------------------------------------------------------------------

const TYPES = ["xdp", "socket_filter", "sched_cls", "sched_act", "cgroup_skb", "lwt_in", "lwt_out", "lwt_xmit", "flow_dissector"];
/** An Ethernet/IPv4/TCP frame to port 80, so a packet run does something before anything is typed. */
const DEFAULT_PACKET = "02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00 00 28 00 01 00 00 40 06 f9 7c 0a 00 00 01 0a 00 00 02 d4 31 00 50 00 00 00 01 00 00 00 00 50 02 20 00 91 7c 00 00 00 00 00 00 00 00";

let source: Source | undefined;
let sample: Sample | undefined;
let opened: Opened | undefined;
let verdict: Verdict | undefined;
let steps: (StepJson & { failing?: boolean })[] = [];
let stepAt = 0;
let dropped: { name: string; bytes: Uint8Array } | undefined;
let droppedCapture: { name: string; bytes: Uint8Array } | undefined;
let generation = 0;

const syntax = () => (document.querySelector<HTMLInputElement>('input[name="syntax"]:checked')?.value ?? "llvm") as "llvm" | "kernel";

// ---- the editor ----------------------------------------------------------------------

let suppress = false;
let editTimer: ReturnType<typeof setTimeout> | undefined;
const editor = new EditorView({
  parent: $("editor"),
  state: EditorState.create({
    doc: "",
    extensions: [
      lineNumbers(), highlightActiveLine(), history(), keymap.of([...defaultKeymap, ...historyKeymap]),
      tsbpfAsm, syntaxHighlighting(defaultHighlightStyle),
      EditorView.contentAttributes.of({ "aria-label": "tsbpf assembly source" }),
      EditorView.updateListener.of((u) => {
        if (!u.docChanged || suppress) return;
        clearTimeout(editTimer);
        editTimer = setTimeout(() => { sample = undefined; useAsm(editor.state.doc.toString(), ($("asm-type") as HTMLSelectElement).value); }, 500);
      }),
    ],
  }),
});
const setEditor = (text: string) => {
  suppress = true;
  editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text } });
  suppress = false;
};

// ---- loading a source ----------------------------------------------------------------

function showSourceKind(kind: "asm" | "object") {
  $("editor").hidden = kind !== "asm";
  $("asm-help").hidden = kind !== "asm";
  $("asm-type").parentElement!.hidden = kind !== "asm";
  $("asm-license").parentElement!.hidden = kind !== "asm";
  $("object-info").hidden = kind !== "object";
  $("c-source").hidden = kind !== "object" || !sample?.text;
}

const license = () => ($("asm-license") as HTMLSelectElement).value;

function useAsm(text: string, type: string) {
  source = { kind: "asm", text, type, license: license() };
  $("object-info").replaceChildren();
  showSourceKind("asm");
  void refresh();
}

function useObject(name: string, bytes: Uint8Array) {
  source = { kind: "object", bytes, name };
  showSourceKind("object");
  $("object-info").replaceChildren(el("p", {}, `Object ${name}, ${bytes.length} bytes`));
  $("c-source").textContent = sample?.kind === "object" ? sample.text : "";
  void refresh();
}

function pickSample(id: string, program?: string) {
  const s = SAMPLES.find((x) => x.id === id) ?? SAMPLES[0]!;
  sample = s;
  dropped = undefined;
  ($("object-file") as HTMLInputElement).value = "";
  ($("sample") as HTMLSelectElement).value = s.id;
  if (s.capture) setInput(`capture:${s.capture}`);
  else setInput("packet");
  if (s.kind === "asm") {
    ($("asm-type") as HTMLSelectElement).value = s.type ?? "xdp";
    setEditor(s.text);
    pendingProgram = program;
    useAsm(s.text, s.type ?? "xdp");
  } else {
    pendingProgram = program;
    useObject(`${s.id}.bpf.o`, s.bytes!);
  }
}
let pendingProgram: string | undefined;

function failPanes(message: string) {
  const box = () => el("div", { className: "error", role: "alert" }, message);
  const info = $("object-info");
  info.hidden = false;
  info.replaceChildren(el("div", { id: "load-error", className: "error", role: "alert" }, `Cannot open this ${source?.kind === "asm" ? "assembly" : "object"}: ${message}`));
  $("listing").textContent = `(no listing: ${message})`;
  $("verdict").className = "verdict bad";
  $("verdict").textContent = "✘ not verified: the source did not open";
  $("explanation").hidden = true;
  $("hint").hidden = true;
  $("insns").replaceChildren();
  $("regs").querySelector("tbody")!.replaceChildren();
  $("stack").querySelector("tbody")!.replaceChildren();
  $("run-out").replaceChildren(box());
  ($("program") as HTMLSelectElement).replaceChildren();
  opened = undefined;
  verdict = undefined;
}

/** Opens the current source, lists it, verifies the chosen program and runs it once. */
async function refresh() {
  const gen = ++generation;
  const src = source!;
  writeHash();
  try {
    opened = await client.call<Opened>({ op: "open", source: src });
  } catch (e) {
    if (gen !== generation) return;
    if ((e as Error).name === "Stopped") {
      $("verdict").className = "verdict bad";
      $("verdict").textContent = `✘ the verifier did not finish: ${(e as Error).message}`;
      status("stopped");
    } else { failPanes((e as Error).message); status("error"); }
    return;
  }
  if (gen !== generation) return;
  if (src.kind === "asm") $("object-info").hidden = true;
  const sel = $("program") as HTMLSelectElement;
  sel.replaceChildren(...opened.programs.map((p) => el("option", { value: p.name }, `${p.name} (${p.section}, ${p.slots} insns)`)));
  if (pendingProgram && opened.programs.some((p) => p.name === pendingProgram)) sel.value = pendingProgram;
  pendingProgram = undefined;
  $("program-label").hidden = src.kind === "asm";
  renderListing();
  await verifyAndRun(gen);
}

async function verifyAndRun(gen = generation) {
  const src = source!;
  const program = ($("program") as HTMLSelectElement).value;
  $("verdict").className = "verdict";
  $("verdict").textContent = "verifying…";
  try {
    verdict = await client.call<Verdict>({ op: "verify", source: src, program });
  } catch (e) {
    if (gen !== generation) return;
    $("verdict").className = "verdict bad";
    $("verdict").textContent = `✘ the verifier did not finish: ${(e as Error).message}`;
    status("stopped");
    return;
  }
  if (gen !== generation) return;
  renderVerdict();
  renderRunSetup();
  writeHash();
  const p = opened?.programs.find((x) => x.name === program);
  if (verdict.accepted && p?.runnable && p.takesPackets) await doRun(gen);
  else status(verdict.accepted ? "verified" : "rejected");
}

// ---- listing -------------------------------------------------------------------------

function renderListing() {
  $("listing").textContent = opened ? opened.listing[syntax()] : "";
}

// ---- verifier ------------------------------------------------------------------------

function renderVerdict() {
  const v = verdict!;
  const p = opened?.programs.find((x) => x.name === v.program);
  const what = `${v.program} (${p?.type ?? "?"}), ${v.insnsProcessed} instructions processed in ${v.ms.toFixed(1)} ms`;
  $("verdict").className = `verdict ${v.accepted ? "ok" : "bad"}`;
  $("verdict").textContent = v.accepted ? `✔ accepted: ${what}` : v.insn === undefined ? `✘ refused: ${v.message}` : `✘ rejected at insn ${v.insn}: ${v.message}`;
  $("verdict").dataset.accepted = String(v.accepted);
  const ex = $("explanation");
  ex.hidden = v.accepted;
  // The hint has a line of its own below.
  ex.textContent = v.accepted ? "" : `${(v.explanation ?? "").split("\n").filter((l) => !l.startsWith("  hint: ")).join("\n")}\n(${what})`;
  const hint = $("hint");
  hint.hidden = !v.hint;
  hint.replaceChildren(el("strong", {}, "Fix: "), v.hint ?? "");
  $("insns").replaceChildren(...v.insns.map((i) => {
    const li = el("li", { id: `insn-${i.slot}`, ...(i.source ? { title: i.source } : {}) }, `${String(i.slot).padStart(4)}: ${i.text}`);
    li.dataset.slot = String(i.slot);
    if (!v.accepted && i.slot === v.insn) li.classList.add("failing");
    return li;
  }));
  steps = [...v.steps];
  if (v.failing) steps.push({ ...v.failing, failing: true });
  stepAt = v.failing ? steps.length - 1 : 0;
  ($("step-fail") as HTMLButtonElement).disabled = !v.failing;
  showStep(stepAt);
}

const range = (a: string, b: string) => (a === b ? a : `${a} .. ${b}`);

function regRow(r: RegJson, changed: boolean) {
  const s = r.scalar;
  const fields = Object.entries(r.fields).map(([k, x]) => `${k}=${x}`).join(" ");
  const value = s.constant !== undefined && r.type === "scalar" ? `= ${s.constant}` : fields || (r.type === "scalar" ? "not constant" : "");
  // A pointer's bounds are those of its variable offset: nothing to show when it has none.
  const fixedPtr = r.type !== "scalar" && s.constant === "0";
  const b = (text: string) => (fixedPtr ? "—" : text);
  const tr = el("tr", {},
    el("td", {}, r.name), el("td", {}, `${r.type}${r.precise ? " (precise)" : ""}`), el("td", { title: r.text }, value),
    el("td", {}, b(range(s.smin, s.smax))), el("td", {}, b(range(s.umin, s.umax))),
    el("td", {}, b(`s32 ${range(s.smin32, s.smax32)}; u32 ${range(s.umin32, s.umax32)}`)), el("td", {}, b(`(${s.tnum.value}; ${s.tnum.mask})`)));
  if (changed) { tr.classList.add("changed"); tr.title = "changed by this step"; }
  return tr;
}

function showStep(i: number) {
  if (!steps.length) {
    $("step-where").textContent = verdict?.accepted === false ? "no states: the program was rejected before the walk" : "no states";
    $("regs").querySelector("tbody")!.replaceChildren();
    $("stack").querySelector("tbody")!.replaceChildren();
    return;
  }
  stepAt = Math.max(0, Math.min(steps.length - 1, i));
  const st = steps[stepAt]!;
  const prev = stepAt > 0 ? steps[stepAt - 1] : undefined;
  for (const li of $("insns").querySelectorAll("li.current")) { li.classList.remove("current"); li.removeAttribute("aria-current"); }
  const li = document.getElementById(`insn-${st.insn}`);
  if (li) { li.classList.add("current"); li.setAttribute("aria-current", "step"); li.scrollIntoView({ block: "nearest" }); }
  const text = verdict?.insns.find((x) => x.slot === st.insn)?.text ?? "";
  $("step-where").textContent = st.failing
    ? `step ${stepAt + 1} of ${steps.length}: at the rejection, insn ${st.insn}: ${text} (the state it was checked in)`
    : `step ${stepAt + 1} of ${steps.length}: after insn ${st.insn}: ${text}${verdict?.stepsOmitted && stepAt === steps.length - 1 ? ` (${verdict.stepsOmitted} more steps not shown)` : ""}`;
  const src = verdict?.insns.find((x) => x.slot === st.insn)?.source;
  $("step-source").textContent = src ? `C source: ${src}` : "";
  $("step-where").dataset.insn = String(st.insn);
  $("step-where").dataset.failing = String(!!st.failing);
  const before = new Map((prev?.state.frames.at(-1)?.regs ?? []).map((r) => [r.name, r.text]));
  const rows: HTMLElement[] = [];
  for (const f of st.state.frames) {
    if (st.state.frames.length > 1) rows.push(el("tr", {}, el("th", { colSpan: 7, scope: "rowgroup" }, `frame ${f.frameno}`)));
    for (const r of f.regs) rows.push(regRow(r, !!prev && before.get(r.name) !== r.text));
  }
  $("regs").querySelector("tbody")!.replaceChildren(...rows);
  const stack = st.state.frames.flatMap((f) => f.stack.map((s) => el("tr", {},
    el("td", {}, `${st.state.frames.length > 1 ? `frame${f.frameno} ` : ""}fp${s.off}`), el("td", {}, s.bytes),
    el("td", {}, s.spilled ? `${s.spilled.type} ${s.spilled.text}` : ""))));
  $("stack").querySelector("tbody")!.replaceChildren(...(stack.length ? stack : [el("tr", {}, el("td", { colSpan: 3 }, "no stack slot written yet"))]));
}

function stepKeys(ev: KeyboardEvent) {
  const k = ev.key;
  if (k === "ArrowDown" || k === "j") showStep(stepAt + 1);
  else if (k === "ArrowUp" || k === "k") showStep(stepAt - 1);
  else if (k === "Home") showStep(0);
  else if (k === "End") showStep(steps.length - 1);
  else if (k === "f") { const f = steps.findIndex((s) => s.failing); if (f >= 0) showStep(f); }
  else return;
  ev.preventDefault();
}

// ---- run -----------------------------------------------------------------------------

function setInput(value: string) {
  const sel = $("input-kind") as HTMLSelectElement;
  const opts: [string, string][] = [["packet", "one packet (hex below)"], ...Object.keys(CAPTURES).sort().map((c): [string, string] => [`capture:${c}`, `capture ${c}`])];
  if (droppedCapture) opts.push(["dropped", `capture ${droppedCapture.name} (opened)`]);
  sel.replaceChildren(...opts.map(([v, t]) => el("option", { value: v }, t)));
  sel.value = opts.some(([v]) => v === value) ? value : "packet";
  $("packet-label").hidden = sel.value !== "packet";
}

function renderRunSetup() {
  const p = opened?.programs.find((x) => x.name === ($("program") as HTMLSelectElement).value);
  $("run-type").textContent = p ? `Program type: ${p.type}` : "";
  const can = !!p && p.runnable && p.takesPackets;
  ($("run") as HTMLButtonElement).disabled = !can || !verdict?.accepted;
  if (p && !can) $("run-out").replaceChildren(el("p", {}, `${p.type} programs take no packets; the browser runs packet programs (xdp, socket_filter, tc, cgroup_skb, lwt, flow_dissector).`));
  else if (verdict && !verdict.accepted) $("run-out").replaceChildren(el("p", {}, "Not run: the verifier rejected the program (as the kernel would refuse to load it)."));
}

function parseHex(text: string): Uint8Array {
  const clean = text.replace(/0x/gi, "").replace(/[^0-9a-fA-F]/g, "");
  if (clean.length % 2) throw new Error(`the packet has an odd number of hex digits (${clean.length})`);
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

function hexView(input: Uint8Array, output: Uint8Array): { node: HTMLElement; changed: number } {
  const pre = el("pre", { className: "hex" });
  let changed = 0;
  for (let i = 0; i < output.length; i++) {
    if (i) pre.append(i % 16 === 0 ? "\n" : i % 8 === 0 ? "  " : " ");
    const b = output[i]!.toString(16).padStart(2, "0");
    if (input[i] !== output[i]) {
      changed++;
      pre.append(el("mark", { title: `byte ${i}: was ${input[i] === undefined ? "absent" : input[i]!.toString(16).padStart(2, "0")}` }, b));
    } else pre.append(b);
  }
  return { node: pre, changed };
}

async function doRun(gen = generation) {
  const src = source!;
  const program = ($("program") as HTMLSelectElement).value;
  const kind = ($("input-kind") as HTMLSelectElement).value;
  const out = $("run-out");
  let req;
  try {
    const repeat = Math.max(1, Math.min(100000, Number(($("repeat") as HTMLInputElement).value) || 1));
    const engine = ($("engine") as HTMLSelectElement).value as "interp" | "jit";
    if (kind === "packet") req = { program, engine, repeat, packet: parseHex(($("packet") as HTMLTextAreaElement).value) };
    else if (kind === "dropped") req = { program, engine, repeat, capture: droppedCapture!.bytes };
    else req = { program, engine, repeat, capture: CAPTURES[kind.slice(8)]!() };
  } catch (e) {
    out.replaceChildren(el("div", { className: "error", role: "alert" }, (e as Error).message));
    return;
  }
  out.replaceChildren(el("p", {}, "running…"));
  writeHash();
  let r: RunResult;
  try {
    r = await client.call<RunResult>({ op: "run", source: src, run: req });
  } catch (e) {
    if (gen === generation) { out.replaceChildren(el("div", { id: "run-error", className: "error", role: "alert" }, `The run failed: ${(e as Error).message}`)); status("run failed"); }
    return;
  }
  if (gen !== generation) return;
  renderRun(r);
  status("ran");
}

function renderRun(r: RunResult) {
  const out = $("run-out");
  const counts = el("table", { id: "verdicts", className: "counts" }, el("caption", {}, `Verdicts: ${r.packets} packet${r.packets === 1 ? "" : "s"} in the ${r.engine === "jit" ? "JIT" : "interpreter"}`),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "verdict"), el("th", { scope: "col" }, "packets"))),
    el("tbody", {}, ...Object.entries(r.verdicts).sort((a, b) => b[1] - a[1]).map(([v, n]) => {
      const tr = el("tr", {}, el("td", {}, v), el("td", {}, String(n)));
      tr.dataset.verdict = v;
      tr.dataset.count = String(n);
      return tr;
    })));
  const parts: HTMLElement[] = [counts, el("p", { id: "time" }, `Time per run: ${Math.round(r.nsPerPacket)} ns (mean over ${r.packets} packet${r.packets === 1 ? "" : "s"}${Number(($("repeat") as HTMLInputElement).value) > 1 ? `, each repeated ${($("repeat") as HTMLInputElement).value} times` : ""}, loads and dumps excluded)`)];
  for (const w of r.warnings.slice(0, 5)) parts.push(el("p", { className: "error" }, `warning: ${w}`));
  const list = el("div", { id: "packets" }, el("h3", {}, r.packets > r.shown.length ? `The first ${r.shown.length} packets` : "Packets"));
  for (const p of r.shown) {
    const { node, changed } = hexView(p.input, p.output);
    const size = p.input.length === p.output.length ? `${p.output.length} bytes` : `${p.input.length} → ${p.output.length} bytes`;
    list.append(el("details", { open: r.shown.length === 1 }, el("summary", {}, `#${p.index}: ${p.verdict} (${p.retval}), ${size}, ${changed ? `${changed} byte${changed === 1 ? "" : "s"} changed (marked and underlined)` : "unchanged"}`), node));
  }
  parts.push(list);
  const maps = el("div", { id: "maps" }, el("h3", {}, "Maps (as bpftool map dump prints them)"));
  for (const m of r.maps) {
    const pre = el("pre", { className: "map" }, m.text);
    pre.dataset.map = m.name;
    pre.dataset.entries = JSON.stringify(m.entries);
    maps.append(el("h4", {}, m.name), pre);
  }
  if (!r.maps.length) maps.append(el("p", {}, "no maps"));
  parts.push(maps, el("h3", {}, "trace_printk"), el("pre", { id: "trace" }, r.trace.length ? r.trace.slice(-64).join("\n") : "(nothing printed)"));
  out.replaceChildren(...parts);
}

// ---- the URL fragment ------------------------------------------------------------------

const b64url = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const unb64url = (s: string) => new TextDecoder().decode(Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)));

function writeHash() {
  const q = new URLSearchParams();
  if (sample) q.set("sample", sample.id);
  else if (source?.kind === "asm") { q.set("asm", b64url(source.text)); q.set("type", source.type); }
  else if (source?.kind === "object") q.set("object", source.name); // a dropped object cannot travel in a link
  const program = ($("program") as HTMLSelectElement).value;
  if (program && source?.kind === "object") q.set("program", program);
  if (source?.kind === "asm" && license() !== "GPL") q.set("license", license());
  q.set("syntax", syntax());
  q.set("engine", ($("engine") as HTMLSelectElement).value);
  const input = ($("input-kind") as HTMLSelectElement).value;
  if (input && input !== "dropped") q.set("input", input);
  if (input === "packet") q.set("packet", ($("packet") as HTMLTextAreaElement).value.replace(/\s+/g, ""));
  const hash = `#${q.toString()}`;
  if (location.hash !== hash) window.history.replaceState(null, "", hash);
}

function readHash() {
  const q = new URLSearchParams(location.hash.slice(1));
  const s = q.get("syntax");
  if (s === "llvm" || s === "kernel") document.querySelector<HTMLInputElement>(`input[name="syntax"][value="${s}"]`)!.checked = true;
  const e = q.get("engine");
  if (e === "interp" || e === "jit") ($("engine") as HTMLSelectElement).value = e;
  const packet = q.get("packet");
  if (packet) ($("packet") as HTMLTextAreaElement).value = packet.replace(/(..)/g, "$1 ").trim();
  const lic = q.get("license");
  ($("asm-license") as HTMLSelectElement).value = lic !== null && [...($("asm-license") as HTMLSelectElement).options].some((o) => o.value === lic) ? lic : "GPL";
  const asm = q.get("asm");
  const input = q.get("input");
  if (asm !== null) {
    let text: string;
    try { text = unb64url(asm); } catch { text = "; the link's assembly could not be decoded\n"; }
    const type = q.get("type") ?? "xdp";
    ($("asm-type") as HTMLSelectElement).value = TYPES.includes(type) ? type : "xdp";
    sample = undefined;
    setEditor(text);
    setInput(input ?? "packet");
    useAsm(text, ($("asm-type") as HTMLSelectElement).value);
  } else {
    pickSample(q.get("sample") ?? "xdp-ip-options", q.get("program") ?? undefined);
    if (input) setInput(input);
  }
}

// ---- files -------------------------------------------------------------------------------

const isCapture = (b: Uint8Array) => {
  const m = b.length >= 4 ? ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 : 0;
  return [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a].includes(m);
};

async function openFile(file: File) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (isCapture(bytes)) {
    droppedCapture = { name: file.name, bytes };
    setInput("dropped");
    status(`capture ${file.name} opened`);
    if (verdict?.accepted) await doRun();
    return;
  }
  sample = undefined;
  dropped = { name: file.name, bytes };
  ($("sample") as HTMLSelectElement).value = "";
  useObject(dropped.name, dropped.bytes);
}

// ---- wiring ------------------------------------------------------------------------------

($("sample") as HTMLSelectElement).replaceChildren(
  el("option", { value: "", disabled: true }, "(an opened file)"),
  ...SAMPLES.map((s) => el("option", { value: s.id }, s.label)),
);
($("asm-type") as HTMLSelectElement).replaceChildren(...TYPES.map((t) => el("option", { value: t }, t)));
($("packet") as HTMLTextAreaElement).value = DEFAULT_PACKET;

$("sample").addEventListener("change", () => pickSample(($("sample") as HTMLSelectElement).value));
$("asm-type").addEventListener("change", () => { sample = undefined; useAsm(editor.state.doc.toString(), ($("asm-type") as HTMLSelectElement).value); });
// A sample keeps its name in the link with another license: the license travels beside it.
$("asm-license").addEventListener("change", () => { if (source?.kind === "asm") useAsm(source.text, source.type); });
$("program").addEventListener("change", () => void verifyAndRun());
for (const r of document.querySelectorAll('input[name="syntax"]')) r.addEventListener("change", () => { renderListing(); writeHash(); });
$("engine").addEventListener("change", () => writeHash());
$("input-kind").addEventListener("change", () => { $("packet-label").hidden = ($("input-kind") as HTMLSelectElement).value !== "packet"; writeHash(); });
$("run").addEventListener("click", () => void doRun());
$("stop").addEventListener("click", () => { client.stop(); status("stopped"); });
$("share").addEventListener("click", async () => {
  writeHash();
  const note = source?.kind === "object" && !sample ? " (a dropped object does not travel in a link: only its name and the settings do)" : "";
  try { await navigator.clipboard.writeText(location.href); status(`link copied${note}`); } catch { status(`the link is in the address bar${note}`); }
});
$("object-file").addEventListener("change", (ev) => { const f = (ev.target as HTMLInputElement).files?.[0]; if (f) void openFile(f); });
$("capture-file").addEventListener("change", (ev) => { const f = (ev.target as HTMLInputElement).files?.[0]; if (f) void openFile(f); });
$("step-first").addEventListener("click", () => showStep(0));
$("step-prev").addEventListener("click", () => showStep(stepAt - 1));
$("step-next").addEventListener("click", () => showStep(stepAt + 1));
$("step-last").addEventListener("click", () => showStep(steps.length - 1));
$("step-fail").addEventListener("click", () => { const f = steps.findIndex((s) => s.failing); if (f >= 0) showStep(f); });
$("insns").addEventListener("keydown", stepKeys);
$("insns").addEventListener("click", (ev) => {
  const slot = Number((ev.target as HTMLElement).closest("li")?.dataset.slot);
  const k = steps.findIndex((s) => s.insn === slot);
  if (k >= 0) showStep(k);
});
document.addEventListener("keydown", (ev) => {
  if (!ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const pane = ["pane-source", "pane-listing", "pane-verifier", "pane-run"][Number(ev.key) - 1];
  if (!pane) return;
  ev.preventDefault();
  const target = pane === "pane-verifier" ? $("insns") : pane === "pane-listing" ? $("listing") : $(pane);
  target.focus();
});
document.addEventListener("dragover", (ev) => ev.preventDefault());
document.addEventListener("drop", (ev) => {
  ev.preventDefault();
  const f = ev.dataTransfer?.files[0];
  if (f) void openFile(f);
});
// Our own writes use replaceState (no event): this is a link pasted or edited by hand.
window.addEventListener("hashchange", () => readHash());

readHash();

// Offline reloads: a service worker answers from the cache when the network is gone; the page
// puts its own files there now, since the first load came before the worker was in charge.
if (import.meta.env.PROD && "serviceWorker" in navigator && window.isSecureContext) {
  navigator.serviceWorker.register("./sw.js").then(async () => {
    const own = performance.getEntriesByType("resource").map((e) => e.name).filter((u) => /^https?:$/.test(new URL(u).protocol) && new URL(u).origin === location.origin);
    const cache = await caches.open("tsbpf-playground");
    await cache.addAll([new URL("./", location.href).href, ...new Set(own)]);
    document.documentElement.dataset.offlineReady = "true";
  }).catch(() => { /* no offline reloads; the page works as it is */ });
}
