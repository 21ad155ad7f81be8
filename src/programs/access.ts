/**
 * @fileoverview The verifier's view of a program type, as the kernel's `bpf_verifier_ops`
 * gives it: which context accesses are valid and what they yield, which helpers the type
 * may call, and the range its return value must lie in. The program-type table
 * (src/programs) has one of these per type; the verifier reads nothing else about types.
 */

/**
 * What a valid context load puts in the register, as `is_valid_access` sets
 * `info->reg_type` (kernel names, lower case, without `PTR_TO_`/`_OR_NULL` folded in).
 */
export type CtxFieldType =
  /** SCALAR_VALUE: a plain number (most fields) */
  | "scalar"
  /** PTR_TO_PACKET: `data` */
  | "packet"
  /** PTR_TO_PACKET_META: `data_meta` */
  | "packet_meta"
  /** PTR_TO_PACKET_END: `data_end` */
  | "packet_end"
  /** PTR_TO_FLOW_KEYS: `__sk_buff.flow_keys` in flow_dissector */
  | "flow_keys"
  /** PTR_TO_SOCK_COMMON_OR_NULL: `__sk_buff.sk` */
  | "sock_common_or_null"
  /** PTR_TO_SOCKET: `bpf_sock_addr.sk`, `bpf_sock_ops.sk`... */
  | "socket"
  /** PTR_TO_SOCKET_OR_NULL */
  | "socket_or_null"
  /** PTR_TO_BTF_ID: a typed kernel pointer (tracing arguments, `btfType` names it) */
  | "btf_id"
  /** PTR_TO_BTF_ID | PTR_MAYBE_NULL */
  | "btf_id_or_null"
  /** PTR_TO_BTF_ID | PTR_TRUSTED: netfilter's `bpf_nf_ctx.skb` and `.state` */
  | "trusted_btf_id"
  /** PTR_TO_MEM: e.g. `bpf_sockopt.optval` */
  | "mem"
  /** PTR_TO_MEM end marker, e.g. `bpf_sockopt.optval_end` (treated as packet end by the kernel) */
  | "mem_end"
  /** PTR_TO_TP_BUFFER: the first argument of a writable raw tracepoint */
  | "tp_buffer";

/** One argument slot of a BTF-typed tracing context (fentry, tp_btf, lsm, struct_ops). */
export interface AttachArg {
  /** "scalar" for numbers, "btf_id" (or "btf_id_or_null") for pointers to kernel structs. */
  readonly type: CtxFieldType;
  /** The struct pointed to ("task_struct"), for btf_id arguments. */
  readonly btfType?: string;
  /** A pointer the kernel types as a number (`void *`, `char *`): still read whole, 8 bytes. */
  readonly pointer?: boolean;
}

/** One context access the verifier asks about: `*(size *)(ctx + off)`. */
export interface CtxAccess {
  readonly off: number;
  readonly size: number;
  readonly write: boolean;
  /** The program's expected attach type (bpftool's name), which some types' rules depend on. */
  readonly attachType?: string | undefined;
  /** Loaded by a privileged user (bpf_capable): some fields are privileged only. Default true. */
  readonly privileged?: boolean;
  /** A sign-extending load (BPF_MEMSX): refused on the packet pointer fields. */
  readonly signExtend?: boolean;
  /** The traced function's arguments, from its BTF prototype, for BTF-typed tracing contexts. */
  readonly attachArgs?: readonly AttachArg[];
}

/** The answer: refused, or what the load puts in the register. */
export type CtxAccessVerdict =
  | { readonly ok: false; readonly reason?: string }
  | {
      readonly ok: true;
      /** For loads: the register's type after the access (writes: "scalar"). */
      readonly type: CtxFieldType;
      /** For btf_id results: the kernel struct pointed to ("task_struct"). */
      readonly btfType?: string;
      /** The full width of the field the access lies in (ctx_field_size), for narrow loads. */
      readonly fieldSize?: number;
    };

/** The return values a program type may exit with: r0 in [min, max] (retval_range). */
export interface ReturnRange {
  readonly min: number;
  readonly max: number;
}

/** What the verifier needs to know of a program type. */
export interface ProgramTypeVerifierOps {
  /** bpftool's name of the type: "xdp", "sched_cls". */
  readonly name: string;
  /** sizeof the context struct r1 points to (0 where r1 is not a context). */
  readonly ctxSize: number;
  /** is_valid_access */
  isValidAccess(access: CtxAccess): CtxAccessVerdict;
  /** get_func_proto: whether the type may call helper `id` (attach type and privilege may matter). */
  helperAllowed(id: number, attachType?: string, privileged?: boolean): boolean;
  /** The range r0 must lie in at the main program's exit, if the type checks one. */
  returnRange(attachType?: string): ReturnRange | undefined;
}
