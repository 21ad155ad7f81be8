/**
 * @fileoverview seccomp in tsbpf: policies (OCI/Docker JSON or built in code), compiled to
 * classic filters, evaluated on `struct seccomp_data`. Runs anywhere; installing a filter
 * for real is Node-only (`tsbpf/kernel`: runSeccomp).
 */

export {
  ACTIONS, ARCHES, DOCKER_DEFAULT_CAPS, SECCOMP_RET_ACTION_FULL, SECCOMP_RET_DATA, SeccompRet, X32_SYSCALL_BIT,
  actionName, actionOf, actionRet, archByName, resolveArch, type ActionKind, type ArchInfo, type SeccompAction,
} from "./constants.js";
export {
  ARG_OPS, SeccompPolicyError, parsePolicy, parsePolicyText,
  type ArgCondition, type ArgOp, type FilterSpec, type PolicyContext, type SeccompRule,
} from "./policy.js";
export { compilePolicy, type CompiledPolicy } from "./compile.js";
export { Act, SeccompBuilder, arg } from "./builder.js";
export { SeccompEvaluator, auditArch, encodeSeccompData, syscallName, syscallNumber, type SeccompData } from "./evaluate.js";
export { X86_64_SYSCALLS } from "./syscalls-x86-64.js";
export { AARCH64_SYSCALLS } from "./syscalls-aarch64.js";
