/**
 * @fileoverview tcpdump's filter language (pcap-filter(7)) compiled to classic BPF.
 */

export { compileFilter, resolveLinkType, parseMac, type CompileOptions, type CompiledFilter } from "./compile.js";
export { FilterError } from "./errors.js";
export { BUILTIN_NAMES, type NameResolver } from "./names.js";
export { tokenize, type Token } from "./lexer.js";
