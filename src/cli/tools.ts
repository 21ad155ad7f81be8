/**
 * @fileoverview `tsbpf tools NAME [options]`: the ready tools of src/tools, attached to a
 * running Node process with -p PID.
 */

import type { Io } from "./io.js";
import { TOOLS } from "../tools/index.js";

export const TOOLS_USAGE = () => `usage: tsbpf tools NAME -p PID [options] [interval [count]]

tools:
${Object.entries(TOOLS).map(([n, t]) => `  ${n.padEnd(12)} ${t.usage.split("\n")[1]?.trim() ?? ""}`).join("\n")}

tsbpf tools help NAME prints the tool's options.`;

export async function toolsCommand(args: string[], io: Io): Promise<number> {
  const [first, ...more] = args;
  // `tsbpf tools help NAME` (main answers `--help` itself, with the list of tools).
  const help = first === "help";
  const [name, ...rest] = help ? more : [first, ...more];
  if (name === undefined || name === "--help" || name === "-h") { io.out(TOOLS_USAGE()); return name === undefined ? 2 : 0; }
  const tool = Object.prototype.hasOwnProperty.call(TOOLS, name) ? TOOLS[name] : undefined;
  if (!tool) { io.err(`tsbpf tools: unknown tool ${name}\n${TOOLS_USAGE()}`); return 2; }
  if (help || rest.includes("-h")) { io.out(tool.usage); return 0; }
  return tool.run(rest, io);
}
