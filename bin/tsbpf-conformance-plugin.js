#!/usr/bin/env node
// The BPF conformance suite's plugin (bpf_conformance_runner --plugin_path): program bytes in
// hex on stdin, memory in hex as the first argument, r0 printed in hex. The runner passes its
// --plugin_options as one argument ("--engine kernel"), so option arguments are split here.
import { main } from "../dist/cli/main.js";
const args = process.argv.slice(2).flatMap((a) => (a.trim().startsWith("--") ? a.trim().split(/\s+/) : [a]));
process.exitCode = await main(["conformance", "--plugin", ...args]);
