/**
 * @fileoverview The BPF filesystem, where objects are pinned. A fresh machine may not
 * have it mounted; `ensureBpffs` mounts it (as root) when it is missing.
 */

import { mkdirSync, statfsSync } from "node:fs";
import { BpfError } from "../errors.js";
import { errnoName, errnoText } from "./errno.js";
import { mountFs } from "./native.js";

/** Where distributions mount the BPF filesystem. */
export const BPFFS_PATH = "/sys/fs/bpf";

/** BPF_FS_MAGIC, the f_type statfs(2) reports for a bpffs. */
const BPF_FS_MAGIC = 0xcafe4a11;

/** True when `path` is on a mounted BPF filesystem. */
export function isBpffs(path: string = BPFFS_PATH): boolean {
  try {
    return statfsSync(path).type === BPF_FS_MAGIC;
  } catch {
    return false;
  }
}

/** Mounts a bpffs at `path` unless one is there already; returns `path`. */
export function ensureBpffs(path: string = BPFFS_PATH): string {
  if (isBpffs(path)) return path;
  mkdirSync(path, { recursive: true });
  const err = mountFs("bpf", path, "bpf");
  if (err !== 0) throw new BpfError("ESYSCALL", `mount bpffs at ${path}: ${errnoName(err)} (${errnoText(err)})`);
  return path;
}
