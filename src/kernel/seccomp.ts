/**
 * @fileoverview seccomp filters installed for real: no_new_privs, then
 * seccomp(SECCOMP_SET_MODE_FILTER) through koffi, in a child process that then execve()s
 * the command (`runSeccomp`), so the command and everything it starts run under the filter.
 */

import { spawn, type StdioOptions } from "node:child_process";
import { accessSync, constants as fsConstants } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import type * as Koffi from "koffi";
import { encodeCbpf, decodeCbpf, type SockFilter } from "../cbpf/insn.js";
import { checkSeccompFilter } from "../cbpf/validate.js";
import { NotSupportedError } from "../errors.js";
import { SyscallError } from "./socket-filter.js";

/** __NR_seccomp per 64-bit architecture. */
const SYS_SECCOMP: Partial<Record<string, number>> = { x64: 317, arm64: 277, riscv64: 277, loong64: 277, s390x: 348, ppc64: 358 };
/** PR_SET_NO_NEW_PRIVS, SECCOMP_SET_MODE_FILTER, F_SETFD, SIGPIPE */
const PR_SET_NO_NEW_PRIVS = 38, SECCOMP_SET_MODE_FILTER = 1, F_SETFD = 2, SIGPIPE = 13;
/** SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG */
export const SECCOMP_FILTER_FLAG_TSYNC = 1, SECCOMP_FILTER_FLAG_LOG = 2;

/** The environment variable the parent hands the filter to the exec helper in (hex of `struct sock_filter[]`). */
export const FILTER_ENV = "TSBPF_SECCOMP_FILTER";
/** ... and the directory the command starts in (the helper itself starts in ours, where its loader resolves). */
export const CWD_ENV = "TSBPF_SECCOMP_CWD";

interface SeccompLibc {
  readonly koffi: typeof Koffi;
  readonly prctl: (option: number, a: number, b: number, c: number, d: number) => number;
  readonly seccomp: (nr: number, op: number, flags: number, fprog: unknown) => number;
  readonly execve: (path: string, argv: (string | null)[], envp: (string | null)[]) => number;
  readonly fcntl: (fd: number, cmd: number, arg: number) => number;
  readonly signal: (sig: number, handler: null) => unknown;
}

let lib: SeccompLibc | undefined;

function libc(): SeccompLibc {
  if (lib) return lib;
  if (process.platform !== "linux") throw new NotSupportedError("seccomp", `Linux only (this is ${process.platform})`);
  let koffi: typeof Koffi;
  try {
    const mod = createRequire(import.meta.url)("koffi") as typeof Koffi & { default?: typeof Koffi };
    koffi = mod.default ?? mod;
  } catch (e) {
    throw new NotSupportedError("seccomp", `koffi does not load: ${(e as Error).message.split("\n")[0]}`);
  }
  let c: Koffi.IKoffiLib;
  try { c = koffi.load(null); } catch { c = koffi.load("libc.so.6"); }
  // prctl, syscall and fcntl are variadic; with integer arguments the Linux ABIs pass them as fixed ones.
  lib = {
    koffi,
    prctl: c.func("int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)"),
    seccomp: c.func("long syscall(long, unsigned long, unsigned long, void *)"),
    execve: c.func("int execve(const char *, const char **, const char **)"),
    fcntl: c.func("int fcntl(int, int, int)"),
    signal: c.func("void *signal(int, void *)"),
  };
  return lib;
}

/**
 * Installs `filter` on the calling thread, for good: PR_SET_NO_NEW_PRIVS then
 * SECCOMP_SET_MODE_FILTER. Only for a process about to execve (see runSeccomp): Node's
 * own threads are not covered unless `flags` has SECCOMP_FILTER_FLAG_TSYNC.
 */
export function installSeccompFilter(filter: readonly SockFilter[], flags = 0, check = true): void {
  if (check) checkSeccompFilter(filter);
  const nr = SYS_SECCOMP[process.arch];
  if (nr === undefined) throw new NotSupportedError(`seccomp on ${process.arch}`);
  const c = libc();
  if (c.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw new SyscallError("prctl", c.koffi.errno(), "PR_SET_NO_NEW_PRIVS");
  const insns = encodeCbpf(filter);
  const mem = c.koffi.alloc("uint8_t", 16 + insns.length);
  try {
    const bytes = new Uint8Array(c.koffi.view(mem, 16 + insns.length));
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    v.setUint16(0, filter.length, true);
    v.setBigUint64(8, c.koffi.address(mem) + 16n, true);
    bytes.set(insns, 16);
    if (c.seccomp(nr, SECCOMP_SET_MODE_FILTER, flags, mem) < 0) {
      throw new SyscallError("seccomp", c.koffi.errno(), `SECCOMP_SET_MODE_FILTER of a ${filter.length}-instruction filter`);
    }
  } finally {
    c.koffi.free(mem);
  }
}

/** `file` found as execvp(3) finds it: a path with a slash as is, else the first executable in PATH. */
export function resolveCommand(file: string, path = process.env.PATH ?? "/usr/bin:/bin"): string | undefined {
  const ok = (p: string) => {
    try { accessSync(p, fsConstants.X_OK); return true; } catch { return false; }
  };
  if (file.includes("/")) return ok(file) ? file : undefined;
  for (const dir of path.split(delimiter)) {
    const p = join(dir || ".", file);
    if (ok(p)) return isAbsolute(p) ? p : join(process.cwd(), p);
  }
  return undefined;
}

/**
 * Replaces this process with `argv[0]` (execve). Node marks its stdio close-on-exec and
 * ignores SIGPIPE; both are undone first so the command gets a normal start. Returns only
 * on failure, with the error.
 */
export function execCommand(path: string, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): SyscallError {
  const c = libc();
  for (const fd of [0, 1, 2]) c.fcntl(fd, F_SETFD, 0);
  c.signal(SIGPIPE, null); // SIG_DFL
  const envp = Object.entries(env).filter(([k, v]) => v !== undefined && k !== FILTER_ENV && k !== CWD_ENV).map(([k, v]) => `${k}=${v}`);
  c.execve(path, [...argv, null], [...envp, null]);
  return new SyscallError("execve", c.koffi.errno(), `exec ${path}`);
}

export interface SeccompRunOptions {
  /** How the child's stdio is set up (node:child_process); inherited by default. */
  readonly stdio?: StdioOptions;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** SECCOMP_FILTER_FLAG_* for the install. */
  readonly flags?: number;
  /**
   * false hands the filter to the kernel without tsbpf's checks first, so a test can see
   * the kernel's own verdict (seccomp() then fails with EINVAL and the helper exits 126).
   */
  readonly check?: boolean;
}

export interface SeccompRunResult {
  /** The exit status, or null when a signal ended the command. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout?: string;
  readonly stderr?: string;
}

/**
 * Runs `command` under `filter`. Node cannot fork (its threads would not survive), so a
 * fresh Node child (this same runtime, with the same loader flags) runs the exec helper:
 * it installs the filter on its main thread through koffi and execve()s the command at
 * once. execve ends the child's other threads, and the filter and no_new_privs pass to the
 * new program and everything it starts. The policy must allow execve itself.
 */
export function runSeccomp(filter: readonly SockFilter[], command: string, args: readonly string[], o: SeccompRunOptions = {}): Promise<SeccompRunResult> {
  const check = o.check ?? true;
  if (check) checkSeccompFilter(filter);
  const here = fileURLToPath(import.meta.url);
  const helper = join(here, "..", `seccomp-exec${here.endsWith(".ts") ? ".ts" : ".js"}`);
  const hex = Buffer.from(encodeCbpf(filter)).toString("hex");
  const env = { ...(o.env ?? process.env), [FILTER_ENV]: `${o.flags ?? 0}:${check ? 1 : 0}:${hex}`, ...(o.cwd ? { [CWD_ENV]: o.cwd } : {}) };
  // The loader flags (tsx when running from source) carry over; test-runner and inspector flags do not.
  const nodeFlags = process.execArgv.filter((a) => !/^--(test|inspect|experimental-test|watch)/.test(a));
  const child = spawn(process.execPath, [...nodeFlags, helper, command, ...args], { stdio: o.stdio ?? "inherit", env });
  let stdout = "", stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, ...(child.stdout ? { stdout } : {}), ...(child.stderr ? { stderr } : {}) }));
  });
}

/** Reads the helper's environment variable back: flags, whether to check, and the filter. */
export function filterFromEnv(value: string): { flags: number; check: boolean; filter: SockFilter[] } {
  const [flags, check, hex] = value.split(":");
  return { flags: Number(flags) || 0, check: check !== "0", filter: decodeCbpf(new Uint8Array(Buffer.from(hex ?? "", "hex"))) };
}
