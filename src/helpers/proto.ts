/**
 * @fileoverview The shape of a helper's prototype, as the kernel's `struct bpf_func_proto`
 * gives it: what each argument must be and what the call returns. The verifier reads these
 * rows (src/helpers/protos.ts); the runtime's implementations live elsewhere, by id.
 */

/** The base kind of an argument (`enum bpf_arg_type` without its flag bits). */
export type ArgKind =
  /** ARG_DONTCARE: no argument in this slot */
  | "dontcare"
  /** ARG_CONST_MAP_PTR: a map, as loaded by a BPF_PSEUDO_MAP_FD/IDX load */
  | "const_map_ptr"
  /** ARG_PTR_TO_MAP_KEY: key_size readable bytes (stack, map value, packet) */
  | "ptr_to_map_key"
  /** ARG_PTR_TO_MAP_VALUE: value_size bytes */
  | "ptr_to_map_value"
  /** ARG_PTR_TO_MEM: memory whose size is the next argument (or `fixedSize`) */
  | "ptr_to_mem"
  /** ARG_PTR_TO_ARENA */
  | "ptr_to_arena"
  /** ARG_CONST_SIZE: the size of the preceding memory argument, > 0, bounded */
  | "const_size"
  /** ARG_CONST_SIZE_OR_ZERO */
  | "const_size_or_zero"
  /** ARG_PTR_TO_CTX */
  | "ptr_to_ctx"
  /** ARG_ANYTHING: any initialized value */
  | "anything"
  /** ARG_PTR_TO_SPIN_LOCK: the bpf_spin_lock inside a map value */
  | "ptr_to_spin_lock"
  /** ARG_PTR_TO_SOCK_COMMON */
  | "ptr_to_sock_common"
  /** ARG_PTR_TO_SOCKET */
  | "ptr_to_socket"
  /** ARG_PTR_TO_BTF_ID: a BTF-typed kernel pointer of type `btfType` */
  | "ptr_to_btf_id"
  /** ARG_PTR_TO_RINGBUF_MEM: a record from bpf_ringbuf_reserve */
  | "ptr_to_ringbuf_mem"
  /** ARG_CONST_ALLOC_SIZE_OR_ZERO: a size known at verification (bpf_ringbuf_reserve) */
  | "const_alloc_size_or_zero"
  /** ARG_PTR_TO_BTF_ID_SOCK_COMMON */
  | "ptr_to_btf_id_sock_common"
  /** ARG_PTR_TO_PERCPU_BTF_ID */
  | "ptr_to_percpu_btf_id"
  /** ARG_PTR_TO_FUNC: a callback, loaded by BPF_PSEUDO_FUNC */
  | "ptr_to_func"
  /** ARG_PTR_TO_STACK */
  | "ptr_to_stack"
  /** ARG_PTR_TO_CONST_STR: a NUL-terminated string in a read-only map value */
  | "ptr_to_const_str"
  /** ARG_PTR_TO_TIMER: the bpf_timer inside a map value */
  | "ptr_to_timer"
  /** ARG_KPTR_XCHG_DEST */
  | "kptr_xchg_dest"
  /** ARG_PTR_TO_DYNPTR */
  | "ptr_to_dynptr";

/** One argument: its kind and the flag bits the kernel ORs into it. */
export interface ArgSpec {
  readonly kind: ArgKind;
  /** PTR_MAYBE_NULL: NULL (a known zero) is also accepted */
  readonly maybeNull?: boolean;
  /** MEM_RDONLY: the helper only reads the memory, so read-only memory is accepted */
  readonly readOnly?: boolean;
  /** MEM_UNINIT: the helper writes the memory, which need not be initialized */
  readonly uninit?: boolean;
  /** MEM_WRITE: the helper writes the memory */
  readonly write?: boolean;
  /** MEM_FIXED_SIZE: the memory has this size, with no size argument (arg_size) */
  readonly fixedSize?: number;
  /** MEM_ALIGNED: the memory must be aligned to its size */
  readonly aligned?: boolean;
  /** OBJ_RELEASE: the call releases the reference this argument holds */
  readonly release?: boolean;
  /** For ptr_to_btf_id arguments: the kernel struct the pointer must point to (arg_btf_id). */
  readonly btfType?: string;
  /** For ptr_to_dynptr: DYNPTR_TYPE_LOCAL, _RINGBUF..., and whether it is initialized by the call. */
  readonly dynptr?: { readonly type?: "local" | "ringbuf" | "skb" | "xdp"; readonly uninit?: boolean };
}

/** The base kind of a return value (`enum bpf_return_type` without its flag bits). */
export type RetKind =
  /** RET_INTEGER */
  | "integer"
  /** RET_VOID */
  | "void"
  /** RET_PTR_TO_MAP_VALUE: a pointer into the map given as the first argument */
  | "ptr_to_map_value"
  /** RET_PTR_TO_SOCKET */
  | "ptr_to_socket"
  /** RET_PTR_TO_TCP_SOCK */
  | "ptr_to_tcp_sock"
  /** RET_PTR_TO_SOCK_COMMON */
  | "ptr_to_sock_common"
  /** RET_PTR_TO_MEM: `memSize` bytes, or the size argued by a const_alloc_size argument */
  | "ptr_to_mem"
  /** RET_PTR_TO_MEM_OR_BTF_ID */
  | "ptr_to_mem_or_btf_id"
  /** RET_PTR_TO_BTF_ID: a kernel object of type `btfType` */
  | "ptr_to_btf_id";

/** What a helper returns. */
export interface RetSpec {
  readonly kind: RetKind;
  /** PTR_MAYBE_NULL: the program must check the pointer against NULL */
  readonly maybeNull?: boolean;
  /** MEM_RINGBUF: a ring buffer record (bpf_ringbuf_reserve), a reference to release */
  readonly ringbuf?: boolean;
  /** MEM_RDONLY */
  readonly readOnly?: boolean;
  /** PTR_TRUSTED */
  readonly trusted?: boolean;
  /** For ptr_to_btf_id: the kernel struct returned (ret_btf_id). */
  readonly btfType?: string;
  /** For ptr_to_mem: a fixed size (ret_size). */
  readonly memSize?: number;
}

/** One helper's prototype: `struct bpf_func_proto` less the function. */
export interface HelperProto {
  /** The kernel's id, `BPF_FUNC_<name>` in `enum bpf_func_id`. */
  readonly id: number;
  /** The name without its `bpf_` prefix: "map_lookup_elem". */
  readonly name: string;
  readonly ret: RetSpec;
  /** Up to five arguments, r1 first; absent ones are dontcare. */
  readonly args: readonly ArgSpec[];
  /** gpl_only: callable only from programs under a GPL-compatible licence */
  readonly gplOnly?: boolean;
  /** pkt_access: the helper may be given packet pointers */
  readonly pktAccess?: boolean;
  /** might_sleep: callable only from sleepable programs */
  readonly mightSleep?: boolean;
  /** The call acquires a reference (a socket lookup, a ringbuf reservation) the program must release. */
  readonly acquire?: boolean;
  /** The call invalidates packet pointers (bpf_helper_changes_pkt_data). */
  readonly changesPktData?: boolean;
  /** The helper calls back into the program: the callback's argument index (bpf_loop: 1). */
  readonly callbackArg?: number;
  /** Privileged only (bpf_capable / perfmon_capable) */
  readonly privileged?: boolean;
}
