/**
 * @fileoverview The tools, by name: BCC's and bpftrace's manner, on a Node process's hooks.
 */

import type { Tool } from "./common.js";
import { httplat, HTTPLAT_USAGE } from "./httplat.js";

/** Every tool with its usage. */
export const TOOLS: Readonly<Record<string, { readonly run: Tool; readonly usage: string }>> = {
  httplat: { run: httplat, usage: HTTPLAT_USAGE },
};
