/**
 * @fileoverview The tools' kernel engine (`--engine kernel`): a tool's kernel object from
 * src/tools/progs loaded through the kernel backend, attached to the hooks its sections
 * name (raw tracepoints, tracepoints, uprobes) and its ring buffer read with epoll.
 */

import { readFileSync } from "node:fs";
import { NotSupportedError } from "../errors.js";
import { attachAll, type AttachedObject } from "../kernel/attach-all.js";
import { attachUprobe, type UprobeOptions } from "../kernel/attach.js";
import type { KernelLink } from "../kernel/link.js";
import { kernelAvailable } from "../kernel/available.js";
import type { KernelMap } from "../kernel/map.js";
import type { KernelProgram } from "../kernel/program.js";
import { KernelRingBufReader } from "../kernel/ringbuf.js";
import { loadObject, loadObjectSpec, type BpfObject, type ObjectSpec } from "../object/index.js";
import { HookError } from "../hooks/errors.js";
import { kernelBtf } from "../object/host.js";

/** The engines a tool runs on: the traced process's own hooks, or the kernel's. */
export type ToolEngine = "node" | "kernel";

/** `--engine NAME`, checked. */
export function toolEngine(v: string | boolean | undefined, tool: string): ToolEngine {
  if (v === undefined || v === "node") return "node";
  if (v === "kernel") return "kernel";
  throw new HookError(`${tool}: --engine is node or kernel (got ${String(v)})`);
}

/** A tool's kernel object, loaded and attached; `close()` detaches and frees every fd. */
export class KernelToolSession {
  readonly #readers: KernelRingBufReader[] = [];
  readonly #links: KernelLink[] = [];
  #attached: AttachedObject | undefined;
  #closed = false;

  private constructor(readonly spec: ObjectSpec, readonly object: BpfObject<KernelProgram, KernelMap>) {}

  /** Loads src/tools/progs/PROG.bpf.o into the kernel (not attached yet: set the maps first). */
  static async open(prog: string): Promise<KernelToolSession> {
    const why = kernelAvailable();
    if (!why.ok) throw new NotSupportedError(`${prog} on the kernel engine`, why.reason);
    const bytes = new Uint8Array(readFileSync(new URL(`./progs/${prog}.bpf.o`, import.meta.url)));
    // CO-RE reads (task->real_parent->tgid...) are relocated against the running kernel's BTF.
    const btf = kernelBtf();
    const spec = loadObjectSpec(bytes, { name: `${prog}.bpf.o`, ...(btf ? { targetBtf: btf } : {}) });
    if (spec.programs.some((p) => p.pendingCore.length)) throw new NotSupportedError(`${prog} on the kernel engine`, "its CO-RE reads need the kernel's BTF (/sys/kernel/btf/vmlinux)");
    return new KernelToolSession(spec, await loadObject(spec, { engine: "kernel", ...(btf ? { targetBtf: btf } : {}) }));
  }

  map(name: string): KernelMap {
    const m = this.object.maps.get(name);
    if (!m) throw new HookError(`the tool's object has no map ${name}`);
    return m;
  }

  /** Attaches every program where its section says (the tool's hooks); the links made. */
  attach(): string[] {
    this.#attached = attachAll(this.object.programs, this.spec.programs);
    return [...this.#attached.links.values()].map((l) => l.description);
  }

  /** Attaches `program` as a uprobe (or uretprobe) on BINARY's SYMBOL in one process, closed with the session. */
  attachUprobe(program: string, binary: string, o: UprobeOptions): string {
    const p = this.object.programs.get(program);
    if (!p) throw new HookError(`the tool's object has no program ${program}`);
    const link = attachUprobe(p, binary, o);
    this.#links.push(link);
    return link.description;
  }

  /** A reader of the ring buffer `name`, closed with the session. */
  ringbuf(name: string, onRecord: (r: Uint8Array) => void): KernelRingBufReader {
    const r = new KernelRingBufReader(this.map(name), onRecord);
    this.#readers.push(r);
    return r;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const r of this.#readers) r.close();
    for (const l of this.#links.reverse()) l.close();
    this.#attached?.close();
    this.object.close();
  }
}
