/**
 * @fileoverview `tsbpf tools policy RULES`: deny rules from a small file, enforced in a
 * running Node process by one verified policy program, and every denial printed. A rule
 * a line: `deny OP [PREFIX] [:PORT]`, OP one of fs.open fs.write fs.unlink net.connect
 * net.listen child_process.spawn worker.start; `#` starts a comment. The policy is
 * attached with a key only this tool holds: the application cannot detach it.
 */

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Io } from "../cli/io.js";
import { HookError } from "../hooks/errors.js";
import { clock, connectionFor, cstr, intervalCount, loop, toolArgs, toolConfig, type ToolOptions, ToolSession, leave, ZERO_KEY } from "./common.js";

export const POLICY_USAGE = `usage: tsbpf tools policy -p PID RULES [duration]
  enforce deny rules in a Node process and print each denial
  RULES: lines "deny OP [PREFIX] [:PORT]", OP: fs.open fs.write fs.unlink net.connect
  net.listen child_process.spawn worker.start`;

/** enum tsbpf_policy_op */
const OPS: Record<string, number> = { "fs.open": 1, "fs.write": 2, "fs.unlink": 3, "net.connect": 4, "net.listen": 5, "child_process.spawn": 6, "worker.start": 7 };
const MAX_RULES = 16;

export interface Rule { readonly op: string; readonly prefix: string; readonly port: number }

/** Parses a rules file; errors name the line. */
export function parseRules(text: string, file = "rules"): Rule[] {
  const rules: Rule[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) return;
    const [verb, op, ...rest] = line.split(/\s+/);
    if (verb !== "deny") throw new HookError(`${file}:${i + 1}: a rule starts with deny (got ${verb})`);
    if (op === undefined || OPS[op] === undefined) throw new HookError(`${file}:${i + 1}: unknown operation ${op ?? "(none)"} (one of ${Object.keys(OPS).join(", ")})`);
    let prefix = "", port = 0;
    for (const r of rest) {
      const m = /^(.*?):(\d+)$/.exec(r);
      if (m && (op === "net.connect" || op === "net.listen")) { prefix = m[1]!; port = Number(m[2]); }
      else prefix = r;
    }
    if (Buffer.byteLength(prefix) > 63) throw new HookError(`${file}:${i + 1}: prefix longer than 63 bytes`);
    rules.push({ op, prefix, port });
  });
  if (rules.length > MAX_RULES) throw new HookError(`${file}: ${rules.length} rules, at most ${MAX_RULES}`);
  return rules;
}

const NAMES = Object.fromEntries(Object.entries(OPS).map(([k, v]) => [v, k]));

export async function policy(args: string[], io: Io, o: ToolOptions = {}): Promise<number> {
  const { values: v, positionals } = toolArgs(args, {});
  const [file, ...rest] = positionals;
  if (file === undefined) throw new HookError("policy: name a rules file");
  const rules = parseRules(readFileSync(file, "utf8"), file);
  const { interval: duration } = intervalCount(rest, "policy");
  const conn = await connectionFor(v.pid, "policy", o);
  const s = await ToolSession.open(conn, "policy");
  const key = randomBytes(16).toString("hex");
  try {
    for (const [i, r] of rules.entries()) {
      const b = Buffer.alloc(80);
      b.writeUInt32LE(OPS[r.op]!, 0); b.writeUInt32LE(r.port, 4); b.writeUInt32LE(Buffer.byteLength(r.prefix), 8);
      b.write(r.prefix, 16);
      await s.set("rules", new Uint8Array(new Uint32Array([i]).buffer), b);
    }
    await s.set("config", ZERO_KEY, toolConfig({ count: rules.length }));
    for (const op of new Set(rules.map((r) => r.op))) await s.attach("policy", op, key);
    io.out(`Enforcing ${rules.length} rules in process ${conn.pid}... Hit Ctrl-C to end.`);
    io.out(`${"TIME".padEnd(8)} ${"OP".padEnd(20)} ${"CALL".padEnd(22)} TARGET`);
    o.onAttached?.();
    const drain = async () => {
      for (const d of await s.ringbuf("denials")) {
        const port = d.readUInt32LE(12);
        const target = cstr(d, 24, 64) + (port ? `:${port}` : "");
        io.out(`${clock()} ${(NAMES[d.readUInt32LE(8)] ?? "?").padEnd(20)} ${cstr(d, 88, 32).padEnd(22)} ${target}`);
      }
    };
    await loop(duration, 1, drain, o, 100, drain);
  } finally {
    await s.close(key);
    if (!o.conn) await leave(conn);
  }
  return 0;
}
