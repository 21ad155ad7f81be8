/**
 * @fileoverview BTF: parsing `.BTF` and `.BTF.ext`, printing as bpftool does, formatting
 * values by their types, and CO-RE relocation against a target kernel's BTF.
 */

export { BtfError } from "./errors.js";
export type { Btf, BtfKind, BtfMember, BtfType } from "./types.js";
export { parseBtf, describe as describeType, isModifier, KIND_NAMES, type BtfModifier } from "./parse.js";
export { parseBtfExt, CoreRelocationKind, CORE_RELOCATION_KIND_NAMES } from "./ext.js";
export type { BtfExt, CoreRelocation, FuncInfo, LineInfo } from "./ext.js";
export { computeCoreRelocation, applyCoreRelocation, applyCoreRelocationSlots, essentialName, typesCompat, POISON_CALL_IMM, type CoreResult } from "./core.js";
export { formatValue, encodeValue } from "./format.js";
export { dumpC, dumpCTypes, dumpRaw, alignOf } from "./c-dump.js";
export { buildBtf, BTF_KIND, INT32_TYPE, type BuildBtfOptions, type BuiltBtf, type RawBtfType } from "./build.js";
export { describeCoreRelocation } from "./core-describe.js";
