#!/usr/bin/env node
// Fails the playground build if a Node-only module reached the browser bundle: node:*
// built-ins, fs, koffi, the kernel backend (src/kernel), the hooks' Node side, the CLI,
// or the loader's Node-only host files. Reads the module list the Vite build writes
// (modules.json) and scans the emitted JavaScript for imports Vite externalised.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2] ?? "playground/dist";
/** Module ids (paths) that must never be bundled for a browser. */
const FORBIDDEN = [
  [/^node:|^\0?(fs|path|os|zlib|child_process|util|url|crypto|worker_threads)(\/|$)/, "a Node built-in"],
  [/node_modules\/koffi\//, "koffi (native calls)"],
  [/\/src\/kernel\//, "the kernel backend (src/kernel)"],
  [/\/src\/hooks\/node\//, "the hooks' Node side (src/hooks/node)"],
  [/\/src\/cli\//, "the CLI (src/cli)"],
  [/\/src\/object\/(host|kernel-engine|kernel-pins)\.ts$/, "the loader's Node-only host files"],
  [/__vite-browser-external/, "a Node module Vite replaced by an empty stub"],
];

let modules;
try {
  modules = JSON.parse(readFileSync(join(dir, "modules.json"), "utf8"));
} catch (e) {
  console.error(`check-browser-bundle: cannot read ${join(dir, "modules.json")} (run the playground build first): ${e.message}`);
  process.exit(2);
}
const problems = [];
for (const id of modules) for (const [re, what] of FORBIDDEN) if (re.test(id)) problems.push(`${id}: ${what}`);

function* files(d) {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (/\.m?js$/.test(n)) yield p;
  }
}
let bytes = 0;
for (const f of files(dir)) {
  const text = readFileSync(f, "utf8");
  bytes += text.length;
  // An import of a built-in left in the output: Vite externalises what it cannot bundle.
  const m = /(?:from|import\()\s*["'](node:[\w/]+|fs|path|os|koffi)["']/.exec(text);
  if (m) problems.push(`${f}: imports ${m[1]}`);
  if (text.includes("__vite-browser-external")) problems.push(`${f}: a Node module was replaced by Vite's empty browser stub`);
}
if (problems.length) {
  console.error(`check-browser-bundle: Node-only code reached the browser bundle in ${dir}:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
const src = modules.filter((m) => m.includes("/src/") && !m.includes("/playground/")).length;
console.log(`check-browser-bundle: ${modules.length} modules (${src} of tsbpf's), ${(bytes / 1024).toFixed(0)} KiB of JavaScript, no Node-only module`);
