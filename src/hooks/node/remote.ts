/**
 * @fileoverview Attaching to a running Node process from outside: the agent's socket if it
 * runs already (`node --import tsbpf/attach`), else through the inspector as a debugger
 * would: SIGUSR1 opens it on 127.0.0.1, `Runtime.evaluate` installs the agent, and the
 * inspector is closed again. Only the process's owner (or root) can, as with a debugger.
 */

import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import net from "node:net";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HookError } from "../errors.js";
import { type AgentConnection, agentSocket, type AgentRequest } from "./agent.js";
import { CdpSession, inspectorTargets } from "./inspector-client.js";

/** The inspector's port after SIGUSR1 (Node's default; --inspect-port changes it). */
const INSPECTOR_PORT = 9229;

/** The agent's socket closed with requests unanswered. */
export class AgentGoneError extends HookError {
  constructor(pid: number) {
    super(`process ${pid}: the agent went away`);
  }
}

/** A connection to an agent: one request at a time in order, answers matched by id. */
export class AgentClient implements AgentConnection {
  #sock: net.Socket;
  #buf = "";
  #next = 1;
  #waiting = new Map<number, { res: (v: Record<string, unknown>) => void; rej: (e: Error) => void }>();

  constructor(sock: net.Socket, readonly pid: number, readonly via: "agent" | "inspector") {
    this.#sock = sock;
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      this.#buf += d;
      for (let nl = this.#buf.indexOf("\n"); nl >= 0; nl = this.#buf.indexOf("\n")) {
        const m = JSON.parse(this.#buf.slice(0, nl)) as { id: number; ok: boolean; result?: Record<string, unknown>; error?: string };
        this.#buf = this.#buf.slice(nl + 1);
        const w = this.#waiting.get(m.id);
        this.#waiting.delete(m.id);
        if (m.ok) w?.res(m.result ?? {});
        else w?.rej(new HookError(`process ${this.pid}: ${m.error}`));
      }
    });
    sock.on("close", () => { for (const w of this.#waiting.values()) w.rej(new AgentGoneError(this.pid)); this.#waiting.clear(); });
    sock.on("error", () => undefined);
  }

  request(op: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.#next++;
    return new Promise((res, rej) => {
      if (this.#sock.destroyed) return rej(new AgentGoneError(this.pid));
      this.#waiting.set(id, { res, rej });
      this.#sock.write(JSON.stringify({ id, op, ...args } satisfies AgentRequest) + "\n");
    });
  }

  /** Disconnects; the agent detaches what this client attached (but policies). */
  close(): void {
    this.#sock.end();
  }
}

/** Refuses a process this user does not own, unless root (as ptrace_may_access would). */
function checkOwner(pid: number): void {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    throw new HookError(`process ${pid}: no such process`);
  }
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
  const me = process.geteuid?.() ?? 0;
  if (me !== 0 && me !== uid) throw new HookError(`process ${pid}: owned by uid ${uid}; only its owner or root may attach`);
}

const connectSocket = (path: string) => new Promise<net.Socket>((res, rej) => {
  const s = net.connect(path);
  s.once("connect", () => res(s));
  s.once("error", rej);
});

let bundle: Promise<string> | undefined;

/** The agent as one script for Runtime.evaluate (bundled by esbuild from this package's sources). */
function agentScript(): Promise<string> {
  bundle ??= (async () => {
    const here = fileURLToPath(import.meta.url);
    const entry = join(dirname(here), `agent${extname(here)}`);
    let esbuild: typeof import("esbuild");
    try {
      esbuild = await import("esbuild");
    } catch {
      throw new HookError("attaching through the inspector needs esbuild (npm install esbuild) to bundle the agent");
    }
    const out = await esbuild.build({ entryPoints: [entry], bundle: true, platform: "node", format: "iife", globalName: "__tsbpfAgent", target: "node20", write: false, external: ["koffi", "esbuild"], logLevel: "silent" });
    return out.outputFiles[0]!.text;
  })();
  return bundle;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Connects to the agent of `pid`, installing it through the inspector when it is not running. */
export async function connectAgent(pid: number, options: { timeoutMs?: number } = {}): Promise<AgentClient> {
  checkOwner(pid);
  const path = agentSocket(pid);
  if (existsSync(path)) {
    try {
      const client = new AgentClient(await connectSocket(path), pid, "agent");
      // A connect can succeed into the backlog of an agent that is closing; only an answer
      // shows it is still there.
      await client.request("hello");
      return client;
    } catch (e) {
      // The agent was going away as we came (its last session had just detached and it
      // uninstalled itself): refused, reset when it closed with our connect still queued,
      // or closed before it answered.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ECONNREFUSED" && code !== "ECONNRESET" && !(e instanceof AgentGoneError)) throw e;
    }
  }
  await withInspectorLock(() => installThroughInspector(pid, path, options));
  return new AgentClient(await connectSocket(path), pid, "inspector");
}

/**
 * One attach through the inspector at a time, machine-wide: every process opens the same
 * port on SIGUSR1. A lock file whose owner has died is taken over.
 */
async function withInspectorLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), "tsbpf-inspector.lock");
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx", mode: 0o600 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let alive = true;
      try { process.kill(Number(readFileSync(lock, "utf8")), 0); } catch { alive = false; }
      if (!alive) { rmSync(lock, { force: true }); continue; }
      if (Date.now() > until) throw new HookError(`another attach holds the inspector port (${lock}); try again`);
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

async function installThroughInspector(pid: number, path: string, options: { timeoutMs?: number }): Promise<void> {
  const wasOpen = (await inspectorTargets(INSPECTOR_PORT)) !== undefined;
  if (!wasOpen) process.kill(pid, "SIGUSR1");
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  let targets: Awaited<ReturnType<typeof inspectorTargets>>;
  while (!(targets = await inspectorTargets(INSPECTOR_PORT))?.length) {
    if (Date.now() > deadline) throw new HookError(`process ${pid}: its inspector did not open on 127.0.0.1:${INSPECTOR_PORT} after SIGUSR1`);
    await sleep(50);
  }
  const cdp = await CdpSession.connect(targets![0]!.webSocketDebuggerUrl);
  try {
    const theirs = await cdp.evaluate("process.pid");
    if (theirs !== pid) throw new HookError(`process ${pid}: 127.0.0.1:${INSPECTOR_PORT} is the inspector of process ${String(theirs)}`);
    const script = await agentScript();
    await cdp.evaluate(`(() => { const require = process.getBuiltinModule("module").createRequire(process.cwd() + "/"); ${script}; return __tsbpfAgent.installAgent(); })()`);
  } finally {
    // Close the inspector the attach opened: the agent's socket is the way in from now on.
    if (!wasOpen) void cdp.call("Runtime.evaluate", { expression: `process.getBuiltinModule("inspector").close()` }).catch(() => undefined);
    await sleep(100);
    cdp.close();
    if (!wasOpen) {
      const closed = Date.now() + 3000;
      while ((await inspectorTargets(INSPECTOR_PORT)) !== undefined && Date.now() < closed) await sleep(50);
    }
  }
  const until = Date.now() + 2000;
  while (!existsSync(path)) {
    if (Date.now() > until) throw new HookError(`process ${pid}: the agent did not start`);
    await sleep(20);
  }
}

/** Whether anything listens on the inspector's port (for tests: the attach closed it). */
export async function inspectorOpen(): Promise<boolean> {
  return (await inspectorTargets(INSPECTOR_PORT)) !== undefined;
}
