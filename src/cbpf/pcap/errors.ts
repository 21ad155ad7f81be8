/**
 * @fileoverview The error a filter expression that does not compile raises: libpcap's words,
 * the token it stopped at, and that token's column.
 */

import { BpfError } from "../../errors.js";

export class FilterError extends BpfError {
  /** libpcap's message, without the location. */
  readonly reason: string;
  /** The offending token as written, if the error has one. */
  readonly token: string | undefined;
  /** 1-based column of that token in the expression. */
  readonly column: number | undefined;
  constructor(reason: string, token?: string, column?: number) {
    const at = token === undefined ? "" : token === "" ? ` (at end of expression, column ${column})` : ` (at '${token}', column ${column})`;
    super("EINVAL", reason + at);
    this.reason = reason;
    this.token = token;
    this.column = column;
  }
}

/** Thrown by code generation; the parser adds the token it was reducing. */
export class GenError extends Error {}
