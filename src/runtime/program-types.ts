/**
 * @fileoverview The runtime's window on the program-type table (src/programs/table.ts):
 * the types a test run can be made for, and how each builds its context.
 */

export { RUN_TYPES } from "../programs/table.js";
export { RAW, XDP_PACKET_HEADROOM, SKB_SHARED_INFO_SIZE, type PacketLayout, type ProgramTypeOps, type RunInput } from "../programs/run-context.js";
