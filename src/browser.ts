/**
 * @fileoverview The browser entry point: everything `src/index.ts` exports (the parts that
 * run anywhere), plus the verifier's states as data for pages that show them.
 */

export * from "./index.js";
export { verifySteps, parseState, parseRegister } from "./verifier/states-json.js";
export type { StepJson, StateJson, FrameJson, RegJson, ScalarJson, StackSlotJson } from "./verifier/states-json.js";
export { SK_BUFF } from "./programs/layouts.js";
export { sourceLineAtSlot } from "./object/source.js";
/** The object-level judge `tsbpf verify` uses (each program alone, libbpf's refusals first). */
export { verifyObject as judgeObject, programAlone } from "./object/verify.js";
