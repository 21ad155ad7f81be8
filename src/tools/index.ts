/**
 * @fileoverview The tools, by name: BCC's and bpftrace's manner, on a Node process's hooks.
 */

import type { Tool } from "./common.js";
import { execsnoop, EXECSNOOP_USAGE } from "./execsnoop.js";
import { fssnoop, FSSNOOP_USAGE } from "./fssnoop.js";
import { funclatency, FUNCLATENCY_USAGE } from "./funclatency.js";
import { gcstat, GCSTAT_USAGE } from "./gcstat.js";
import { httplat, HTTPLAT_USAGE } from "./httplat.js";
import { policy, POLICY_USAGE } from "./policy.js";
import { profile, PROFILE_USAGE } from "./profile.js";

/** Every tool with its usage. */
export const TOOLS: Readonly<Record<string, { readonly run: Tool; readonly usage: string }>> = {
  httplat: { run: httplat, usage: HTTPLAT_USAGE },
  fssnoop: { run: fssnoop, usage: FSSNOOP_USAGE },
  execsnoop: { run: execsnoop, usage: EXECSNOOP_USAGE },
  gcstat: { run: gcstat, usage: GCSTAT_USAGE },
  funclatency: { run: funclatency, usage: FUNCLATENCY_USAGE },
  profile: { run: profile, usage: PROFILE_USAGE },
  policy: { run: policy, usage: POLICY_USAGE },
};
