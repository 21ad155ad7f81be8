#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's own runner (through tsx), since Node 20's
// --test does not expand globs itself. Extra arguments pass through to node --test.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function collect(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...collect(path));
    else if (name.endsWith(".test.ts")) found.push(path);
  }
  return found;
}

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith("-"));
const flags = args.filter((a) => a.startsWith("-"));
let files = collect("test");
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
const run = spawnSync(process.execPath, ["--import", "tsx", "--test", ...flags, ...files], { stdio: "inherit" });
process.exit(run.status ?? 1);
