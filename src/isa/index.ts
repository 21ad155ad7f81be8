/**
 * @fileoverview The eBPF instruction set: encoding, the instruction table, validation,
 * both text syntaxes, the assembler and conformance groups. Depends on nothing else.
 */

export * from "./opcodes.js";
export * from "./instruction.js";
export { FORMS, FORMS_BY_OPCODE, formById, formOf } from "./table.js";
export type { InstructionForm, RegisterRole } from "./table.js";
export { decode, validate, validateInstruction } from "./validate.js";
export { formatInstruction, formatKernelLine, type Syntax } from "./format.js";
export { assemble, type AssembledProgram, type SymbolReference } from "./assembler.js";
export { branchTarget, listInstructions, listingLines, type ListedInstruction, type ListingOptions } from "./disassembler.js";
export { CONFORMANCE_GROUPS, groupOf, groupsNeeded, supports, type ConformanceGroup } from "./conformance.js";
