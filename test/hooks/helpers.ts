/** Test helpers: a real Node app (test/hooks/apps/server.cjs) started without tsbpf, and a client for it. */
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface App {
  readonly pid: number;
  readonly port: number;
  readonly dir: string;
  readonly child: ChildProcess;
  get(path: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

export async function startApp(): Promise<App> {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-app-"));
  const child = spawn(process.execPath, [new URL("./apps/server.cjs", import.meta.url).pathname, dir], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const port = await new Promise<number>((res, rej) => {
    child.stdout!.once("data", (d) => res(Number(String(d).trim())));
    child.once("exit", (c) => rej(new Error(`app exited ${c}: ${stderr}`)));
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  return {
    pid: child.pid!, port, dir, child,
    get: (path) => new Promise((res, rej) => {
      http.get({ host: "127.0.0.1", port, path, agent }, (r) => {
        let body = "";
        r.setEncoding("utf8");
        r.on("data", (d) => (body += d));
        r.on("end", () => res({ status: r.statusCode!, body }));
      }).on("error", rej);
    }),
    stop: async () => {
      agent.destroy();
      child.kill();
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `cond` holds, or `run` has settled (its failure is the test's), or 15 s. */
export async function until(cond: () => boolean, run?: Promise<unknown>): Promise<void> {
  let settled = false;
  void run?.then(() => (settled = true), () => (settled = true));
  const end = Date.now() + 15_000;
  while (!cond() && !settled) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}
