/**
 * @fileoverview `tsbpf map dump FILE.o NAME [run options]`: one map of the object as
 * `bpftool map dump` prints it, after a run made as `tsbpf run` makes it (on --pcap,
 * --data, --ctx-json... or, given none, the run's default input). `--json` for the entries.
 */

import { BpfError } from "../errors.js";
import { toJson } from "./map-dump.js";
import { runCommand } from "./run.js";

export const MAP_USAGE = `usage: tsbpf map dump FILE.o NAME [tsbpf run options] [--json]
  runs the object's program as tsbpf run does (--prog, --pcap, --data, --ctx-json, --engine...),
  then prints map NAME as bpftool map dump does`;

const HEX = /^[0-9a-f]{2}( [0-9a-f]{2})*$/;

export async function mapCommand(args: string[], out: (line: string) => void, err: (line: string) => void = () => {}): Promise<number> {
  const [verb, file, name, ...rest] = args;
  if (verb !== "dump" || file === undefined || name === undefined || name.startsWith("-")) throw new BpfError("EINVAL", `expected map dump FILE.o NAME\n${MAP_USAGE}`);
  const json = rest.includes("--json");
  const runArgs = [file, ...rest.filter((a) => a !== "--json"), "--json"];
  let text = "";
  const code = await runCommand(runArgs, (l) => { text += `${l}\n`; }, err);
  if (code !== 0) { if (text) out(text.trimEnd()); return code; }
  const report = JSON.parse(text) as { maps?: Record<string, { key: unknown; value: unknown }[]> };
  const maps = report.maps ?? {};
  const entries = maps[name];
  if (!entries) throw new BpfError("EINVAL", `${file}: no map ${name} to dump (${Object.keys(maps).join(", ") || "the run shows no maps"})`);
  if (json) { out(JSON.stringify(entries)); return 0; }
  // Without BTF the entries are hex strings: bpftool's plain form.
  if (entries.every((e) => typeof e.key === "string" && HEX.test(e.key) && typeof e.value === "string" && HEX.test(e.value))) {
    for (const e of entries) out(`key: ${e.key}  value: ${e.value}`);
    out(`Found ${entries.length} element${entries.length === 1 ? "" : "s"}`);
    return 0;
  }
  const items = entries.map((e) => toJson(e, "    "));
  out(items.length ? `[${items.join(",")}\n]` : "[]");
  return 0;
}
