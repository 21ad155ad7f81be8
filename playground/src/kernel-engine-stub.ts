// The browser's stand-in for src/object/kernel-engine.ts: there is no bpf(2) in a page.
import { NotSupportedError } from "../../src/errors.js";

const refuse = (): never => { throw new NotSupportedError("the kernel engine", "a browser has no bpf(2): use the interp or jit engine"); };
export const KERNEL_ENGINE = { name: "kernel", load: refuse };
export const kernelJudge = refuse;
