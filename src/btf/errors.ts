/**
 * @fileoverview The error every BTF and .BTF.ext reader throws: malformed input, a type
 * id out of range, a loop in type references. Messages name the type they are about.
 */

import { BpfError } from "../errors.js";

/** Malformed or unusable BTF; `typeId` is the type the problem was found in, when known. */
export class BtfError extends BpfError {
  readonly typeId: number | undefined;
  constructor(message: string, where: { typeId?: number; cause?: unknown } = {}) {
    super("EELF", `btf: ${message}`, where.cause !== undefined ? { cause: where.cause } : undefined);
    this.typeId = where.typeId;
  }
}
