/**
 * @fileoverview `node --import tsbpf/attach app.js`: starts tsbpf's agent in a process at
 * startup, so `tsbpf attach PID` and `tsbpf tools -p PID` reach it without the inspector.
 */

import { installAgent } from "./agent.js";

await installAgent();
