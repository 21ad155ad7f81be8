/**
 * @fileoverview The exec helper of runSeccomp: installs the filter it is handed, then
 * becomes the command (execve). Run as `node seccomp-exec.js CMD ARGS...`, never imported.
 */

import { CWD_ENV, execCommand, FILTER_ENV, filterFromEnv, installSeccompFilter, resolveCommand } from "./seccomp.js";

const [command, ...args] = process.argv.slice(2);
const value = process.env[FILTER_ENV];
if (!command || value === undefined) {
  process.stderr.write("tsbpf seccomp: the exec helper needs a command and a filter\n");
  process.exit(2);
}
const cwd = process.env[CWD_ENV];
if (cwd) {
  try {
    process.chdir(cwd);
  } catch (e) {
    process.stderr.write(`tsbpf seccomp: ${(e as Error).message}\n`);
    process.exit(126);
  }
}
const path = resolveCommand(command);
if (!path) {
  process.stderr.write(`tsbpf seccomp: ${command}: command not found\n`);
  process.exit(127);
}
try {
  const { flags, check, filter } = filterFromEnv(value);
  installSeccompFilter(filter, flags, check);
} catch (e) {
  process.stderr.write(`tsbpf seccomp: ${(e as Error).message}\n`);
  process.exit(126);
}
// From here on the filter applies: only execve, and on failure a write and exit.
const err = execCommand(path, [command, ...args]);
process.stderr.write(`tsbpf seccomp: ${err.message}\n`);
process.exit(126);
