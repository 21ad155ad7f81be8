/**
 * @fileoverview Shared by the object tests: the fixtures and bench objects, read as bytes,
 * and a spec opened with the values the externs fixture needs.
 */

import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadObjectSpec, type LoadObjectSpecOptions } from "../../src/object/spec.js";
import type { ObjectSpec } from "../../src/object/types.js";

export const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;
export const BENCH = new URL("../../bench/", import.meta.url).pathname;
export const BENCH_PROGS = join(BENCH, "progs");

/** Every committed fixture object, by path. */
export const fixtureObjects = (): string[] =>
  readdirSync(FIXTURES).filter((n) => n.endsWith(".o")).sort().map((n) => join(FIXTURES, n));

/** The bench objects, (bench/progs). */
export const benchObjects = (): string[] =>
  existsSync(BENCH_PROGS) ? readdirSync(BENCH_PROGS).filter((n) => n.endsWith(".o")).sort().map((n) => join(BENCH_PROGS, n)) : [];

export const bytesOf = (path: string): Uint8Array => new Uint8Array(readFileSync(path));

/** Values for externs.bpf.o's externs. */
export const EXTERN_VALUES: LoadObjectSpecOptions = {
  kconfig: { LINUX_KERNEL_VERSION: 0x061200, CONFIG_HZ: 250, CONFIG_BPF_SYSCALL: true, CONFIG_BPF_JIT: "y", CONFIG_LOCALVERSION: "-tsbpf" },
  ksyms: { _stext: 0xffffffff81000000n },
};

/** A fixture opened as libbpf would, named after its file. */
export function openFixture(name: string, options: LoadObjectSpecOptions = {}): ObjectSpec {
  const path = join(FIXTURES, name);
  return loadObjectSpec(bytesOf(path), { name: path, ...(name.startsWith("externs") ? EXTERN_VALUES : {}), ...options });
}
