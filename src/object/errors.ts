/**
 * @fileoverview Errors of the object loader: content of a well-formed ELF file that is
 * not a BPF object libbpf would open (a bad relocation, a truncated map definition, an
 * unknown program section), and externs nobody gave a value for.
 */

import { ElfError } from "../errors.js";

/**
 * Object content libbpf would refuse in `bpf_object__open`. An ElfError, so it carries
 * the section and file offset; `program` names the program when there is one.
 */
export class ObjectError extends ElfError {
  readonly program: string | undefined;
  constructor(message: string, where: { section?: string; offset?: number; program?: string } = {}) {
    super(where.program !== undefined ? `program ${where.program}: ${message}` : message, where);
    this.program = where.program;
  }
}

/** An extern (`__kconfig`, `__ksym`) without a value; `extern` is its name. */
export class UnresolvedExternError extends ObjectError {
  readonly extern: string;
  constructor(extern: string, section: string, hint: string) {
    super(`unresolved extern ${extern} (${section}): ${hint}`, { section });
    this.extern = extern;
  }
}
