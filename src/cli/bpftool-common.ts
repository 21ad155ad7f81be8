/**
 * @fileoverview What every bpftool-idiom command shares: the global -j/-p/-f flags,
 * `id N | pinned PATH | tag TAG | name NAME` object arguments, byte arguments
 * ("0x01 2 hex 0a0b"), the holders of an object from /proc fdinfo, load times as
 * wall-clock times, and JSON printed the way bpftool's json_writer prints it.
 */

import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { uptime } from "node:os";
import { BpfError } from "../errors.js";
import * as bpf from "../kernel/bpf.js";
import { closeFd } from "../kernel/native.js";
import { mapIds, mapInfo, programIds, programInfo } from "../kernel/info.js";
import { linkGetFdById } from "../kernel/link-bpf.js";
import { linkIds, linkInfo } from "../kernel/link-info.js";
import type { Io } from "./io.js";

/** The global options bpftool takes before the object word. */
export interface Globals {
  readonly json: boolean;
  readonly pretty: boolean;
  /** -f / --bpffs: show where objects are pinned. */
  readonly bpffs: boolean;
}

/** Takes -j/--json, -p/--pretty, -f/--bpffs out of `args` (anywhere, as bpftool allows). */
export function splitGlobals(args: readonly string[]): { globals: Globals; rest: string[] } {
  let json = false, pretty = false, bpffs = false;
  const rest: string[] = [];
  for (const a of args) {
    if (a === "-j" || a === "--json") json = true;
    else if (a === "-p" || a === "--pretty") { json = true; pretty = true; }
    else if (a === "-f" || a === "--bpffs") bpffs = true;
    else if (/^-[jpf]+$/.test(a)) { json ||= a.includes("j") || a.includes("p"); pretty ||= a.includes("p"); bpffs ||= a.includes("f"); }
    else rest.push(a);
  }
  return { globals: { json, pretty, bpffs }, rest };
}

/** Prints a JSON value as bpftool does: one line with -j, four-space indents with -p; 64-bit integers whole. */
export function printJson(io: Io, g: Globals, value: unknown): void {
  io.out(jsonText(value, g.pretty ? 4 : undefined));
}

/** JSON.stringify, except that bigints print as the exact integers bpftool prints. */
export function jsonText(value: unknown, indent?: number): string {
  const marks: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v !== "bigint") return v;
    marks.push(v.toString());
    return `\u0000big${marks.length - 1}`;
  }, indent);
  return text.replace(/"\\u0000big(\d+)"/g, (_m, i: string) => marks[Number(i)]!);
}

/**
 * bpftool's json_writer in pretty mode, as `map lookup` prints a formatted element:
 * members on their own lines four spaces deeper, array elements on one line.
 * (src/maps/dump.ts lays out whole dumps the same way.)
 */
export function bpftoolPretty(v: unknown, depth = 0): string {
  const pad = (d: number) => "    ".repeat(d);
  if (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof Uint8Array) return bpftoolPretty(Array.from(v), depth);
  if (Array.isArray(v)) return `[${v.map((x) => bpftoolPretty(x, depth + 1)).join(",")}${v.length ? `\n${pad(depth)}` : ""}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v);
    return `{${entries.map(([k, x]) => `\n${pad(depth + 1)}${JSON.stringify(k)}: ${bpftoolPretty(x, depth + 1)}`).join(",")}${entries.length ? `\n${pad(depth)}` : ""}}`;
  }
  return "null";
}

/** A usage error: bpftool's words, exit code 2 through the caller. */
export class UsageError extends BpfError {
  constructor(message: string) {
    super("EINVAL", message);
  }
}

/** Consumes the next argument, or says what was expected. */
export function need(args: string[], what: string): string {
  const a = args.shift();
  if (a === undefined) throw new UsageError(`expected ${what}`);
  return a;
}

/** `id N | pinned PATH | tag TAG | name NAME`, the way bpftool names one object. */
export type ObjectRef = { by: "id"; id: number } | { by: "pinned"; path: string } | { by: "tag"; tag: string } | { by: "name"; name: string };

/** Parses an object reference off the front of `args`; `kinds` are the words allowed. */
export function parseRef(args: string[], kinds: readonly ObjectRef["by"][], what: string): ObjectRef {
  const word = need(args, `${kinds.join(" | ")} for the ${what}`);
  if (!kinds.includes(word as ObjectRef["by"])) throw new UsageError(`expected ${kinds.join(" | ")} for the ${what}, got '${word}'`);
  const value = need(args, `a value after '${word}'`);
  switch (word) {
    case "id": {
      const id = Number(value);
      if (!Number.isInteger(id) || id <= 0) throw new UsageError(`can't parse ${value} as ID`);
      return { by: "id", id };
    }
    case "pinned": return { by: "pinned", path: value };
    case "tag": {
      if (!/^[0-9a-f]{16}$/i.test(value.replace(/ /g, ""))) throw new UsageError(`can't parse tag ${value}`);
      return { by: "tag", tag: value.replace(/ /g, "").toLowerCase() };
    }
    default: return { by: "name", name: value };
  }
}

/** What kind of object a bpf fd is ("prog", "map", "link", "btf"), from its anon inode's name. */
export function fdKind(fd: number): string {
  const target = readlinkSync(`/proc/self/fd/${fd}`);
  const m = /^anon_inode:bpf[-_](\w+)/.exec(target);
  return m ? m[1]! : target;
}

/** Opens a pin, refusing one of another kind as bpftool does. */
function openPinned(path: string, kind: "prog" | "map" | "link"): number {
  const fd = bpf.objGet(path, 0, `open ${path}`);
  const got = fdKind(fd);
  if (got !== kind) {
    closeFd(fd);
    throw new BpfError("EINVAL", `${path}: incorrect object type: ${got}`);
  }
  return fd;
}

/** The ids of every program a reference names (a tag or a name can name several). */
export function programIdsOf(ref: ObjectRef): number[] {
  if (ref.by === "id") return [ref.id];
  if (ref.by === "pinned") return [withFd(openPinned(ref.path, "prog"), (fd) => programInfo(fd).id)];
  const out: number[] = [];
  for (const id of programIds()) {
    const info = tryInfo(() => withFd(bpf.progGetFdById(id), programInfo));
    if (info && (ref.by === "tag" ? info.tag === ref.tag : info.name === ref.name)) out.push(id);
  }
  if (!out.length) throw new BpfError("EINVAL", `no program with ${ref.by} ${ref.by === "tag" ? ref.tag : ref.name}`);
  return out;
}

/** The ids of every map a reference names. */
export function mapIdsOf(ref: ObjectRef): number[] {
  if (ref.by === "id") return [ref.id];
  if (ref.by === "pinned") return [withFd(openPinned(ref.path, "map"), (fd) => mapInfo(fd).id)];
  if (ref.by === "tag") throw new UsageError("maps have no tag");
  const out: number[] = [];
  for (const id of mapIds()) {
    const info = tryInfo(() => withFd(bpf.mapGetFdById(id), mapInfo));
    if (info?.name === ref.name) out.push(id);
  }
  if (!out.length) throw new BpfError("EINVAL", `no map with name ${ref.name}`);
  return out;
}

/** The id of the link a reference names. */
export function linkIdOf(ref: ObjectRef): number {
  if (ref.by === "id") return ref.id;
  if (ref.by === "pinned") return withFd(openPinned(ref.path, "link"), (fd) => linkInfo(fd).id);
  throw new UsageError("a link is named by id or pinned");
}

/** Runs `fn` on an fd and closes it. */
export function withFd<T>(fd: number, fn: (fd: number) => T): T {
  try {
    return fn(fd);
  } finally {
    closeFd(fd);
  }
}

/** An object that vanished between listing and opening (ENOENT) is left out, as bpftool does. */
export function tryInfo<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if ((e as { errnoName?: string }).errnoName === "ENOENT") return undefined;
    throw e;
  }
}

/** strtoul(word, 0): 0x hex, 0 octal, else decimal; NaN when not all of the word is a number. */
function cNumber(word: string, base?: number): number {
  const b = base ?? (/^0x/i.test(word) ? 16 : /^0\d/.test(word) ? 8 : 10);
  const digits = b === 16 ? word.replace(/^0x/i, "") : word;
  const ok = b === 16 ? /^[0-9a-f]+$/i : b === 8 ? /^[0-7]+$/ : /^\d+$/;
  return ok.test(digits) ? Number.parseInt(digits, b) : Number.NaN;
}

/** Bytes from bpftool's DATA words, one byte a word: `0x1f`, `31`, `037`, or after `hex`, `1f`; exactly `size`. */
export function parseBytes(words: string[], size: number, what: string): Uint8Array {
  const out: number[] = [];
  let hex = false;
  if (words[0] === "hex") { hex = true; words.shift(); }
  while (out.length < size && words.length) {
    const v = cNumber(words[0]!, hex ? 16 : undefined);
    if (!Number.isInteger(v)) break;
    if (v > 255) throw new UsageError(`error parsing byte: ${words[0]}`);
    words.shift();
    out.push(v);
  }
  if (out.length !== size) throw new UsageError(`${what} expected ${size} bytes got ${out.length}`);
  return Uint8Array.from(out);
}

/** Bytes as bpftool's JSON shows them: ["0x01", "0x00", ...]. */
export const hexArray = (b: Uint8Array): string[] => Array.from(b, (x) => `0x${x.toString(16).padStart(2, "0")}`);

/** Bytes as bpftool's text shows them: "01 00 00 00  05 00 ...". */
export function hexWords(b: Uint8Array): string {
  return Array.from(b, (x, i) => `${i && i % 8 === 0 ? " " : ""}${x.toString(16).padStart(2, "0")}`).join(" ");
}

/** Who holds an object: each process with an fd on it, from /proc/PID/fdinfo (bpftool's pid iterator gives the same). */
export interface Holder { readonly pid: number; readonly comm: string }

type Kind = "prog" | "map" | "link";
let holders: Map<string, Holder[]> | undefined;

/** Every (kind, id) → holders, read once per command. */
export function holdersOf(kind: Kind, id: number): Holder[] {
  if (!holders) {
    holders = new Map();
    for (const p of readdirSync("/proc")) {
      if (!/^\d+$/.test(p)) continue;
      let fds: string[];
      let comm = "";
      try {
        fds = readdirSync(`/proc/${p}/fd`);
        comm = readFileSync(`/proc/${p}/comm`, "utf8").trim();
      } catch {
        continue;
      }
      const seen = new Set<string>();
      for (const fd of fds) {
        try {
          if (!/^anon_inode:bpf[-_]/.test(readlinkSync(`/proc/${p}/fd/${fd}`))) continue;
          const m = /^(prog|map|link)_id:\s*(\d+)/m.exec(readFileSync(`/proc/${p}/fdinfo/${fd}`, "utf8"));
          if (!m || seen.has(`${m[1]}:${m[2]}`)) continue;
          seen.add(`${m[1]}:${m[2]}`);
          const list = holders.get(`${m[1]}:${m[2]}`) ?? [];
          list.push({ pid: Number(p), comm });
          holders.set(`${m[1]}:${m[2]}`, list);
        } catch {
          // The fd closed while we looked.
        }
      }
    }
  }
  return (holders.get(`${kind}:${id}`) ?? []).filter((h) => h.pid !== process.pid);
}

/** bpftool's text for holders: `pids node(123), bpftool(77)`. */
export const holdersText = (h: readonly Holder[]): string => h.map((x) => `${x.comm}(${x.pid})`).join(", ");

let pins: Map<string, string[]> | undefined;

/** Where an object is pinned, for -f: every bpffs mount walked once per command, as bpftool builds its table. */
export function pinnedPaths(kind: Kind, id: number): string[] {
  if (!pins) {
    pins = new Map();
    const mounts = readFileSync("/proc/mounts", "utf8").split("\n").map((l) => l.split(" ")).filter((f) => f[2] === "bpf").map((f) => f[1]!);
    const walk = (dir: string) => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const path = `${dir}/${e.name}`;
        if (e.isDirectory()) { walk(path); continue; }
        let fd: number;
        try {
          fd = bpf.objGet(path);
        } catch {
          continue;
        }
        try {
          const k = fdKind(fd);
          const objId = k === "prog" ? programInfo(fd).id : k === "map" ? mapInfo(fd).id : k === "link" ? linkInfo(fd).id : undefined;
          if (objId !== undefined) {
            const list = pins!.get(`${k}:${objId}`) ?? [];
            list.push(path);
            pins!.set(`${k}:${objId}`, list);
          }
        } catch {
          // Not an object tsbpf can read the id of.
        } finally {
          closeFd(fd);
        }
      }
    };
    for (const m of mounts) walk(m);
  }
  return pins.get(`${kind}:${id}`) ?? [];
}

/** Forgets the holders read, for a long-running command. */
export function resetHolders(): void {
  holders = undefined;
  pins = undefined;
}

/** A `fdinfo` field of one of our own fds ("memlock", "frozen"). */
export function fdinfoField(fd: number, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s*(\\d+)`, "m").exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"));
  return m ? Number(m[1]) : undefined;
}

/** A load time (ns since boot) as Unix seconds, as bpftool computes it from the boot time. */
export function wallClockSeconds(nsSinceBoot: bigint): number {
  const bootMs = Date.now() - uptime() * 1000;
  return Math.floor((bootMs + Number(nsSinceBoot / 1_000_000n)) / 1000);
}

/** bpftool's `%FT%T%z` in local time: 2026-12-02T04:17:03+0000. */
export function isoLocal(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number, w = 2) => String(Math.abs(n)).padStart(w, "0");
  const off = -d.getTimezoneOffset();
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${off < 0 ? "-" : "+"}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`;
}

/** Every link id with its info, for `link list` and the net and cgroup listings. */
export function allLinks() {
  const out = [];
  for (const id of linkIds()) {
    const info = tryInfo(() => withFd(linkGetFdById(id), linkInfo));
    if (info) out.push(info);
  }
  return out;
}
