/**
 * @fileoverview The prototype of every helper of the kernel (enum bpf_func_id, ids 1 to
 * 211), one row per helper, written from the kernel's `const struct bpf_func_proto`
 * definitions (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c, net/core/filter.c, ...).
 */

import type { ArgSpec, HelperProto, RetSpec } from "./proto.js";
import { HELPER_NAMES } from "./names.js";

// Arguments, by the kernel's names (include/linux/bpf.h, enum bpf_arg_type).
/** ARG_CONST_MAP_PTR */
const MAP: ArgSpec = { kind: "const_map_ptr" };
/** ARG_PTR_TO_MAP_KEY */
const KEY: ArgSpec = { kind: "ptr_to_map_key" };
/** ARG_PTR_TO_MAP_VALUE */
const VALUE: ArgSpec = { kind: "ptr_to_map_value" };
/** ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE (map_pop_elem, map_peek_elem) */
const VALUE_OUT: ArgSpec = { kind: "ptr_to_map_value", uninit: true, write: true };
/** ARG_PTR_TO_MAP_VALUE_OR_NULL: the initial value of a local-storage element */
const VALUE_OR_NULL: ArgSpec = { kind: "ptr_to_map_value", maybeNull: true };
/** ARG_PTR_TO_MEM | MEM_RDONLY: memory the helper reads */
const IN: ArgSpec = { kind: "ptr_to_mem", readOnly: true };
/** ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY */
const IN_OR_NULL: ArgSpec = { kind: "ptr_to_mem", readOnly: true, maybeNull: true };
/** ARG_PTR_TO_UNINIT_MEM (ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE): memory the helper fills */
const OUT: ArgSpec = { kind: "ptr_to_mem", uninit: true, write: true };
/**
 * ARG_PTR_TO_MEM | MEM_WRITE: memory the helper reads and writes (fib_lookup's params,
 * sysctl_get_name's buffer...); the write clobbers what the verifier knew of the bytes.
 */
const INOUT: ArgSpec = { kind: "ptr_to_mem", write: true };
/** ARG_PTR_TO_MEM_OR_NULL | MEM_WRITE (read_branch_records' buffer) */
const INOUT_OR_NULL: ArgSpec = { kind: "ptr_to_mem", maybeNull: true, write: true };
/** ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED, arg_size = sizeof(u64): a u64 result */
const U64_OUT: ArgSpec = { kind: "ptr_to_mem", fixedSize: 8, uninit: true, write: true, aligned: true };
/** ARG_CONST_SIZE */
const SIZE: ArgSpec = { kind: "const_size" };
/** ARG_CONST_SIZE_OR_ZERO */
const SIZE0: ArgSpec = { kind: "const_size_or_zero" };
/** ARG_PTR_TO_CTX */
const CTX: ArgSpec = { kind: "ptr_to_ctx" };
/** ARG_PTR_TO_CTX_OR_NULL */
const CTX_OR_NULL: ArgSpec = { kind: "ptr_to_ctx", maybeNull: true };
/** ARG_ANYTHING */
const ANY: ArgSpec = { kind: "anything" };
/** ARG_PTR_TO_SOCK_COMMON */
const SOCK_COMMON: ArgSpec = { kind: "ptr_to_sock_common" };
/** ARG_PTR_TO_BTF_ID_SOCK_COMMON */
const BTF_SOCK_COMMON: ArgSpec = { kind: "ptr_to_btf_id_sock_common" };
/** ARG_PTR_TO_SPIN_LOCK */
const SPIN_LOCK: ArgSpec = { kind: "ptr_to_spin_lock" };
/** ARG_PTR_TO_TIMER */
const TIMER: ArgSpec = { kind: "ptr_to_timer" };
/** ARG_PTR_TO_FUNC */
const FUNC: ArgSpec = { kind: "ptr_to_func" };
/** ARG_PTR_TO_STACK_OR_NULL: the callback's context */
const STACK_OR_NULL: ArgSpec = { kind: "ptr_to_stack", maybeNull: true };
/** ARG_PTR_TO_CONST_STR */
const CONST_STR: ArgSpec = { kind: "ptr_to_const_str" };
/** ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE */
const RINGBUF_RECORD: ArgSpec = { kind: "ptr_to_ringbuf_mem", release: true };
/** ARG_PTR_TO_BTF_ID with arg_btf_id = the named struct */
const btf = (type: string): ArgSpec => ({ kind: "ptr_to_btf_id", btfType: type });
/** ARG_PTR_TO_BTF_ID_OR_NULL */
const btfOrNull = (type: string): ArgSpec => ({ kind: "ptr_to_btf_id", btfType: type, maybeNull: true });
/** ARG_PTR_TO_FIXED_SIZE_MEM with arg_size = `size` */
const fixedIn = (size: number): ArgSpec => ({ kind: "ptr_to_mem", fixedSize: size });
/** ARG_PTR_TO_DYNPTR with its DYNPTR_TYPE_* and MEM_UNINIT / MEM_RDONLY / OBJ_RELEASE bits */
const dynptr = (type: "local" | "ringbuf" | undefined, flags: { uninit?: boolean; readOnly?: boolean; release?: boolean } = {}): ArgSpec => ({
  kind: "ptr_to_dynptr",
  dynptr: { ...(type ? { type } : {}), ...(flags.uninit ? { uninit: true } : {}) },
  ...(flags.readOnly ? { readOnly: true } : {}),
  ...(flags.release ? { release: true } : {}),
});

// Return types (enum bpf_return_type).
/** RET_INTEGER */
const INT: RetSpec = { kind: "integer" };
/** RET_VOID */
const VOID: RetSpec = { kind: "void" };
/** RET_PTR_TO_MAP_VALUE_OR_NULL */
const VALUE_PTR_OR_NULL: RetSpec = { kind: "ptr_to_map_value", maybeNull: true };
/** RET_PTR_TO_SOCKET_OR_NULL */
const SOCKET_OR_NULL: RetSpec = { kind: "ptr_to_socket", maybeNull: true };
/** RET_PTR_TO_BTF_ID_OR_NULL with ret_btf_id = the named struct */
const btfRetOrNull = (type: string): RetSpec => ({ kind: "ptr_to_btf_id", maybeNull: true, btfType: type });

/** Flags of a row besides its types. */
type Flags = Omit<HelperProto, "id" | "name" | "ret" | "args">;
const GPL: Flags = { gplOnly: true };
/** Helpers whose call invalidates packet pointers (bpf_helper_changes_pkt_data). */
const PKT: Flags = { changesPktData: true };

function row(id: number, ret: RetSpec, args: readonly ArgSpec[], flags: Flags = {}): HelperProto {
  return { id, name: HELPER_NAMES[id]!, ret, args, ...flags };
}

/**
 * HELPER_PROTOS[id] is helper `id`'s prototype (index 0, BPF_FUNC_unspec, is absent).
 * Where the kernel has several protos for one id (a helper given the skb in one program
 * type and the xdp_buff in another), the row is the general one and the comment names the
 * others; which program types may call which helper is the program-type table's business.
 */
export const HELPER_PROTOS: readonly (HelperProto | undefined)[] = [
  undefined,
  /** bpf_map_lookup_elem_proto */
  row(1, VALUE_PTR_OR_NULL, [MAP, KEY], { pktAccess: true }),
  /** bpf_map_update_elem_proto */
  row(2, INT, [MAP, KEY, VALUE, ANY], { pktAccess: true }),
  /** bpf_map_delete_elem_proto */
  row(3, INT, [MAP, KEY], { pktAccess: true }),
  /** bpf_probe_read_compat_proto */
  row(4, INT, [OUT, SIZE0, ANY], GPL),
  /** bpf_ktime_get_ns_proto */
  row(5, INT, []),
  /** bpf_trace_printk_proto: up to three more arguments, unchecked (ARG_DONTCARE) */
  row(6, INT, [IN, SIZE], GPL),
  /** bpf_get_prandom_u32_proto */
  row(7, INT, []),
  /** bpf_get_raw_smp_processor_id_proto (bpf_get_smp_processor_id_proto in socket programs) */
  row(8, INT, []),
  /** bpf_skb_store_bytes_proto */
  row(9, INT, [CTX, ANY, IN, SIZE, ANY], PKT),
  /** bpf_l3_csum_replace_proto */
  row(10, INT, [CTX, ANY, ANY, ANY, ANY], PKT),
  /** bpf_l4_csum_replace_proto */
  row(11, INT, [CTX, ANY, ANY, ANY, ANY], PKT),
  /** bpf_tail_call_proto: the call does not return when it succeeds */
  row(12, VOID, [CTX, MAP, ANY]),
  /** bpf_clone_redirect_proto */
  row(13, INT, [CTX, ANY, ANY], PKT),
  /** bpf_get_current_pid_tgid_proto */
  row(14, INT, []),
  /** bpf_get_current_uid_gid_proto */
  row(15, INT, []),
  /** bpf_get_current_comm_proto */
  row(16, INT, [OUT, SIZE]),
  /** bpf_get_cgroup_classid_proto (bpf_get_cgroup_classid_curr_proto in cgroup socket programs: no argument) */
  row(17, INT, [CTX]),
  /** bpf_skb_vlan_push_proto */
  row(18, INT, [CTX, ANY, ANY], PKT),
  /** bpf_skb_vlan_pop_proto */
  row(19, INT, [CTX], PKT),
  /** bpf_skb_get_tunnel_key_proto */
  row(20, INT, [CTX, OUT, SIZE, ANY]),
  /** bpf_skb_set_tunnel_key_proto */
  row(21, INT, [CTX, IN, SIZE, ANY]),
  /** bpf_perf_event_read_proto */
  row(22, INT, [MAP, ANY], GPL),
  /** bpf_redirect_proto */
  row(23, INT, [ANY, ANY]),
  /** bpf_get_route_realm_proto */
  row(24, INT, [CTX]),
  /**
   * bpf_perf_event_output_proto (tracing); bpf_skb_event_output_proto and
   * bpf_xdp_event_output_proto have the same shape, bpf_perf_event_output_proto_raw_tp too
   */
  row(25, INT, [CTX, MAP, ANY, IN, SIZE0], GPL),
  /** bpf_skb_load_bytes_proto (sk_skb_load_bytes, flow_dissector_load_bytes: same shape) */
  row(26, INT, [CTX, ANY, OUT, SIZE]),
  /** bpf_get_stackid_proto (bpf_get_stackid_proto_tp, _raw_tp, _pe: the same arguments) */
  row(27, INT, [CTX, MAP, ANY], GPL),
  /** bpf_csum_diff_proto */
  row(28, INT, [IN_OR_NULL, SIZE0, IN_OR_NULL, SIZE0, ANY], { pktAccess: true }),
  /** bpf_skb_get_tunnel_opt_proto */
  row(29, INT, [CTX, OUT, SIZE]),
  /** bpf_skb_set_tunnel_opt_proto */
  row(30, INT, [CTX, IN, SIZE]),
  /** bpf_skb_change_proto_proto */
  row(31, INT, [CTX, ANY, ANY], PKT),
  /** bpf_skb_change_type_proto */
  row(32, INT, [CTX, ANY]),
  /** bpf_skb_under_cgroup_proto */
  row(33, INT, [CTX, MAP, ANY]),
  /** bpf_get_hash_recalc_proto */
  row(34, INT, [CTX]),
  /** bpf_get_current_task_proto */
  row(35, INT, [], GPL),
  /** bpf_probe_write_user_proto */
  row(36, INT, [ANY, IN, SIZE], GPL),
  /** bpf_current_task_under_cgroup_proto */
  row(37, INT, [MAP, ANY]),
  /** bpf_skb_change_tail_proto (sk_skb_change_tail_proto: same) */
  row(38, INT, [CTX, ANY, ANY], PKT),
  /** bpf_skb_pull_data_proto (sk_skb_pull_data_proto: same) */
  row(39, INT, [CTX, ANY], PKT),
  /** bpf_csum_update_proto */
  row(40, INT, [CTX, ANY]),
  /** bpf_set_hash_invalid_proto */
  row(41, INT, [CTX]),
  /** bpf_get_numa_node_id_proto */
  row(42, INT, []),
  /** bpf_skb_change_head_proto (sk_skb_change_head_proto: same) */
  row(43, INT, [CTX, ANY, ANY], PKT),
  /** bpf_xdp_adjust_head_proto */
  row(44, INT, [CTX, ANY], PKT),
  /** bpf_probe_read_compat_str_proto */
  row(45, INT, [OUT, SIZE0, ANY], GPL),
  /**
   * bpf_get_socket_cookie_proto (skb); the _sock_addr, _sock_ops and _sock protos take their
   * program's context too; bpf_get_socket_ptr_cookie_proto takes ARG_PTR_TO_BTF_ID_SOCK_COMMON
   */
  row(46, INT, [CTX]),
  /** bpf_get_socket_uid_proto */
  row(47, INT, [CTX]),
  /** bpf_set_hash_proto */
  row(48, INT, [CTX, ANY]),
  /**
   * bpf_sock_ops_setsockopt_proto (sock_ops; the _sock_addr and cgroup sockopt protos have
   * the same shape); bpf_sk_setsockopt_proto takes ARG_PTR_TO_BTF_ID_SOCK_COMMON first
   */
  row(49, INT, [CTX, ANY, ANY, IN, SIZE]),
  /** bpf_skb_adjust_room_proto (sk_skb_adjust_room_proto: same) */
  row(50, INT, [CTX, ANY, ANY, ANY], PKT),
  /** bpf_xdp_redirect_map_proto */
  row(51, INT, [MAP, ANY, ANY]),
  /** bpf_sk_redirect_map_proto */
  row(52, INT, [CTX, MAP, ANY, ANY]),
  /** bpf_sock_map_update_proto */
  row(53, INT, [CTX, MAP, KEY, ANY]),
  /** bpf_xdp_adjust_meta_proto */
  row(54, INT, [CTX, ANY], PKT),
  /** bpf_perf_event_read_value_proto */
  row(55, INT, [MAP, ANY, OUT, SIZE], GPL),
  /** bpf_perf_prog_read_value_proto */
  row(56, INT, [CTX, OUT, SIZE], GPL),
  /** bpf_sock_ops_getsockopt_proto (and the sock_addr one); bpf_sk_getsockopt_proto takes a BTF socket */
  row(57, INT, [CTX, ANY, ANY, OUT, SIZE]),
  /** bpf_override_return_proto */
  row(58, INT, [CTX, ANY], GPL),
  /** bpf_sock_ops_cb_flags_set_proto */
  row(59, INT, [CTX, ANY]),
  /** bpf_msg_redirect_map_proto */
  row(60, INT, [CTX, MAP, ANY, ANY]),
  /** bpf_msg_apply_bytes_proto */
  row(61, INT, [CTX, ANY]),
  /** bpf_msg_cork_bytes_proto */
  row(62, INT, [CTX, ANY]),
  /** bpf_msg_pull_data_proto */
  row(63, INT, [CTX, ANY, ANY, ANY], PKT),
  /** bpf_bind_proto */
  row(64, INT, [CTX, IN, SIZE]),
  /** bpf_xdp_adjust_tail_proto */
  row(65, INT, [CTX, ANY], PKT),
  /** bpf_skb_get_xfrm_state_proto */
  row(66, INT, [CTX, ANY, OUT, SIZE, ANY]),
  /**
   * bpf_get_stack_proto; bpf_get_stack_proto_tp, _raw_tp and _pe have the same arguments,
   * bpf_get_stack_sleepable_proto too
   */
  row(67, INT, [CTX, OUT, SIZE0, ANY], GPL),
  /** bpf_skb_load_bytes_relative_proto (sk_reuseport_load_bytes_relative_proto: same) */
  row(68, INT, [CTX, ANY, OUT, SIZE, ANY]),
  /** bpf_skb_fib_lookup_proto (bpf_xdp_fib_lookup_proto: same): struct bpf_fib_lookup in and out */
  row(69, INT, [CTX, INOUT, SIZE, ANY], GPL),
  /** bpf_sock_hash_update_proto */
  row(70, INT, [CTX, MAP, KEY, ANY]),
  /** bpf_msg_redirect_hash_proto */
  row(71, INT, [CTX, MAP, KEY, ANY]),
  /** bpf_sk_redirect_hash_proto */
  row(72, INT, [CTX, MAP, KEY, ANY]),
  /** bpf_lwt_in_push_encap_proto (bpf_lwt_xmit_push_encap_proto: same) */
  row(73, INT, [CTX, ANY, IN, SIZE], PKT),
  /** bpf_lwt_seg6_store_bytes_proto */
  row(74, INT, [CTX, ANY, IN, SIZE], PKT),
  /** bpf_lwt_seg6_adjust_srh_proto */
  row(75, INT, [CTX, ANY, ANY], PKT),
  /** bpf_lwt_seg6_action_proto */
  row(76, INT, [CTX, ANY, IN, SIZE], PKT),
  /** rc_repeat_proto */
  row(77, INT, [CTX], GPL),
  /** rc_keydown_proto */
  row(78, INT, [CTX, ANY, ANY, ANY], GPL),
  /** bpf_skb_cgroup_id_proto */
  row(79, INT, [CTX]),
  /** bpf_get_current_cgroup_id_proto */
  row(80, INT, []),
  /** bpf_get_local_storage_proto: never NULL */
  row(81, { kind: "ptr_to_map_value" }, [MAP, ANY]),
  /** sk_select_reuseport_proto */
  row(82, INT, [CTX, MAP, KEY, ANY]),
  /** bpf_skb_ancestor_cgroup_id_proto */
  row(83, INT, [CTX, ANY]),
  /** bpf_sk_lookup_tcp_proto (bpf_xdp_sk_lookup_tcp_proto, bpf_sock_addr_sk_lookup_tcp_proto: same); a zero-length tuple is allowed */
  row(84, SOCKET_OR_NULL, [CTX, IN, SIZE0, ANY, ANY], { pktAccess: true, acquire: true }),
  /** bpf_sk_lookup_udp_proto (and the xdp and sock_addr ones) */
  row(85, SOCKET_OR_NULL, [CTX, IN, SIZE0, ANY, ANY], { pktAccess: true, acquire: true }),
  /** bpf_sk_release_proto */
  row(86, INT, [{ kind: "ptr_to_btf_id_sock_common", release: true }]),
  /** bpf_map_push_elem_proto */
  row(87, INT, [MAP, VALUE, ANY]),
  /** bpf_map_pop_elem_proto */
  row(88, INT, [MAP, VALUE_OUT]),
  /** bpf_map_peek_elem_proto */
  row(89, INT, [MAP, VALUE_OUT]),
  /** bpf_msg_push_data_proto */
  row(90, INT, [CTX, ANY, ANY, ANY], PKT),
  /** bpf_msg_pop_data_proto */
  row(91, INT, [CTX, ANY, ANY, ANY], PKT),
  /** rc_pointer_rel_proto */
  row(92, INT, [CTX, ANY, ANY], GPL),
  /** bpf_spin_lock_proto */
  row(93, VOID, [SPIN_LOCK]),
  /** bpf_spin_unlock_proto */
  row(94, VOID, [SPIN_LOCK]),
  /** bpf_sk_fullsock_proto */
  row(95, SOCKET_OR_NULL, [SOCK_COMMON]),
  /** bpf_tcp_sock_proto */
  row(96, { kind: "ptr_to_tcp_sock", maybeNull: true }, [SOCK_COMMON]),
  /** bpf_skb_ecn_set_ce_proto */
  row(97, INT, [CTX]),
  /** bpf_get_listener_sock_proto */
  row(98, SOCKET_OR_NULL, [SOCK_COMMON]),
  /** bpf_skc_lookup_tcp_proto (and the xdp and sock_addr ones) */
  row(99, { kind: "ptr_to_sock_common", maybeNull: true }, [CTX, IN, SIZE0, ANY, ANY], { pktAccess: true, acquire: true }),
  /** bpf_tcp_check_syncookie_proto */
  row(100, INT, [BTF_SOCK_COMMON, IN, SIZE, IN, SIZE], { gplOnly: true, pktAccess: true }),
  /** bpf_sysctl_get_name_proto */
  row(101, INT, [CTX, INOUT, SIZE, ANY]),
  /** bpf_sysctl_get_current_value_proto */
  row(102, INT, [CTX, OUT, SIZE]),
  /** bpf_sysctl_get_new_value_proto */
  row(103, INT, [CTX, OUT, SIZE]),
  /** bpf_sysctl_set_new_value_proto */
  row(104, INT, [CTX, IN, SIZE]),
  /** bpf_strtol_proto */
  row(105, INT, [IN, SIZE, ANY, U64_OUT]),
  /** bpf_strtoul_proto */
  row(106, INT, [IN, SIZE, ANY, U64_OUT]),
  /**
   * bpf_sk_storage_get_proto; bpf_sk_storage_get_cg_sock_proto takes the context as its
   * socket, bpf_sk_storage_get_tracing_proto a BTF socket or NULL
   */
  row(107, VALUE_PTR_OR_NULL, [MAP, BTF_SOCK_COMMON, VALUE_OR_NULL, ANY]),
  /** bpf_sk_storage_delete_proto (and its tracing variant) */
  row(108, INT, [MAP, BTF_SOCK_COMMON]),
  /** bpf_send_signal_proto */
  row(109, INT, [ANY]),
  /** bpf_tcp_gen_syncookie_proto */
  row(110, INT, [BTF_SOCK_COMMON, IN, SIZE, IN, SIZE], { gplOnly: true, pktAccess: true }),
  /** bpf_skb_output_proto */
  row(111, INT, [btf("sk_buff"), MAP, ANY, IN, SIZE0], GPL),
  /** bpf_probe_read_user_proto */
  row(112, INT, [OUT, SIZE0, ANY], GPL),
  /** bpf_probe_read_kernel_proto */
  row(113, INT, [OUT, SIZE0, ANY], GPL),
  /** bpf_probe_read_user_str_proto */
  row(114, INT, [OUT, SIZE0, ANY], GPL),
  /** bpf_probe_read_kernel_str_proto */
  row(115, INT, [OUT, SIZE0, ANY], GPL),
  /** bpf_tcp_send_ack_proto */
  row(116, INT, [btf("tcp_sock"), ANY]),
  /** bpf_send_signal_thread_proto */
  row(117, INT, [ANY]),
  /** bpf_jiffies64_proto */
  row(118, INT, []),
  /** bpf_read_branch_records_proto */
  row(119, INT, [CTX, INOUT_OR_NULL, SIZE0, ANY], GPL),
  /** bpf_get_ns_current_pid_tgid_proto: fills a struct bpf_pidns_info */
  row(120, INT, [ANY, ANY, OUT, SIZE]),
  /** bpf_xdp_output_proto */
  row(121, INT, [btf("xdp_buff"), MAP, ANY, IN, SIZE0], GPL),
  /** bpf_get_netns_cookie_sock_proto and the other context variants (skb, sock_addr, sock_ops, sk_msg, sockopt) */
  row(122, INT, [CTX_OR_NULL]),
  /** bpf_get_current_ancestor_cgroup_id_proto */
  row(123, INT, [ANY]),
  /** bpf_sk_assign_proto (tc); bpf_sk_lookup_assign_proto takes ARG_PTR_TO_SOCKET_OR_NULL */
  row(124, INT, [CTX, BTF_SOCK_COMMON, ANY]),
  /** bpf_ktime_get_boot_ns_proto */
  row(125, INT, []),
  /** bpf_seq_printf_proto: the arguments as an array of u64 */
  row(126, INT, [btf("seq_file"), IN, SIZE, IN_OR_NULL, SIZE0], GPL),
  /** bpf_seq_write_proto */
  row(127, INT, [btf("seq_file"), IN, SIZE0], GPL),
  /** bpf_sk_cgroup_id_proto */
  row(128, INT, [BTF_SOCK_COMMON]),
  /** bpf_sk_ancestor_cgroup_id_proto */
  row(129, INT, [BTF_SOCK_COMMON, ANY]),
  /** bpf_ringbuf_output_proto */
  row(130, INT, [MAP, IN, SIZE0, ANY]),
  /** bpf_ringbuf_reserve_proto: RET_PTR_TO_RINGBUF_MEM_OR_NULL, of the size argued by r2 */
  row(131, { kind: "ptr_to_mem", maybeNull: true, ringbuf: true }, [MAP, { kind: "const_alloc_size_or_zero" }, ANY], { acquire: true }),
  /** bpf_ringbuf_submit_proto */
  row(132, VOID, [RINGBUF_RECORD, ANY]),
  /** bpf_ringbuf_discard_proto */
  row(133, VOID, [RINGBUF_RECORD, ANY]),
  /** bpf_ringbuf_query_proto */
  row(134, INT, [MAP, ANY]),
  /** bpf_csum_level_proto */
  row(135, INT, [CTX, ANY]),
  /** bpf_skc_to_tcp6_sock_proto */
  row(136, btfRetOrNull("tcp6_sock"), [BTF_SOCK_COMMON]),
  /** bpf_skc_to_tcp_sock_proto */
  row(137, btfRetOrNull("tcp_sock"), [BTF_SOCK_COMMON]),
  /** bpf_skc_to_tcp_timewait_sock_proto */
  row(138, btfRetOrNull("tcp_timewait_sock"), [BTF_SOCK_COMMON]),
  /** bpf_skc_to_tcp_request_sock_proto */
  row(139, btfRetOrNull("tcp_request_sock"), [BTF_SOCK_COMMON]),
  /** bpf_skc_to_udp6_sock_proto */
  row(140, btfRetOrNull("udp6_sock"), [BTF_SOCK_COMMON]),
  /** bpf_get_task_stack_proto (bpf_get_task_stack_sleepable_proto: same) */
  row(141, INT, [btf("task_struct"), OUT, SIZE0, ANY]),
  /** bpf_sock_ops_load_hdr_opt_proto */
  row(142, INT, [CTX, INOUT, SIZE, ANY]),
  /** bpf_sock_ops_store_hdr_opt_proto */
  row(143, INT, [CTX, IN, SIZE, ANY], PKT),
  /** bpf_sock_ops_reserve_hdr_opt_proto */
  row(144, INT, [CTX, ANY, ANY]),
  /** bpf_inode_storage_get_proto */
  row(145, VALUE_PTR_OR_NULL, [MAP, btfOrNull("inode"), VALUE_OR_NULL, ANY]),
  /** bpf_inode_storage_delete_proto */
  row(146, INT, [MAP, btfOrNull("inode")]),
  /** bpf_d_path_proto */
  row(147, INT, [btf("path"), { kind: "ptr_to_mem", write: true }, SIZE0]),
  /** bpf_copy_from_user_proto */
  row(148, INT, [OUT, SIZE0, ANY], { mightSleep: true }),
  /** bpf_snprintf_btf_proto: struct btf_ptr in r3 */
  row(149, INT, [{ kind: "ptr_to_mem", write: true }, SIZE, IN, SIZE, ANY]),
  /** bpf_seq_printf_btf_proto */
  row(150, INT, [btf("seq_file"), IN, SIZE0, ANY], GPL),
  /** bpf_skb_cgroup_classid_proto */
  row(151, INT, [CTX]),
  /** bpf_redirect_neigh_proto: struct bpf_redir_neigh or NULL in r2 */
  row(152, INT, [ANY, IN_OR_NULL, SIZE0, ANY]),
  /** bpf_per_cpu_ptr_proto: RET_PTR_TO_MEM_OR_BTF_ID | PTR_MAYBE_NULL | MEM_RDONLY */
  row(153, { kind: "ptr_to_mem_or_btf_id", maybeNull: true, readOnly: true }, [{ kind: "ptr_to_percpu_btf_id" }, ANY]),
  /** bpf_this_cpu_ptr_proto: RET_PTR_TO_MEM_OR_BTF_ID | MEM_RDONLY */
  row(154, { kind: "ptr_to_mem_or_btf_id", readOnly: true }, [{ kind: "ptr_to_percpu_btf_id" }]),
  /** bpf_redirect_peer_proto */
  row(155, INT, [ANY, ANY]),
  /** bpf_task_storage_get_proto (bpf_task_storage_get_recur_proto: same) */
  row(156, VALUE_PTR_OR_NULL, [MAP, btfOrNull("task_struct"), VALUE_OR_NULL, ANY]),
  /** bpf_task_storage_delete_proto (and its _recur variant) */
  row(157, INT, [MAP, btfOrNull("task_struct")]),
  /** bpf_get_current_task_btf_proto: RET_PTR_TO_BTF_ID_TRUSTED */
  row(158, { kind: "ptr_to_btf_id", trusted: true, btfType: "task_struct" }, [], GPL),
  /** bpf_bprm_opts_set_proto */
  row(159, INT, [btf("linux_binprm"), ANY]),
  /** bpf_ktime_get_coarse_ns_proto */
  row(160, INT, []),
  /** bpf_ima_inode_hash_proto */
  row(161, INT, [btf("inode"), OUT, SIZE], { mightSleep: true }),
  /** bpf_sock_from_file_proto */
  row(162, btfRetOrNull("socket"), [btf("file")]),
  /** bpf_skb_check_mtu_proto (bpf_xdp_check_mtu_proto: same): the MTU length in and out through r3 */
  row(163, INT, [CTX, ANY, { kind: "ptr_to_mem", fixedSize: 4, write: true }, ANY, ANY], GPL),
  /** bpf_for_each_map_elem_proto: callback(map, key, value, ctx) */
  row(164, INT, [MAP, FUNC, STACK_OR_NULL, ANY], { callbackArg: 1 }),
  /** bpf_snprintf_proto */
  row(165, INT, [{ kind: "ptr_to_mem", maybeNull: true, write: true }, SIZE0, CONST_STR, IN_OR_NULL, SIZE0], GPL),
  /** bpf_sys_bpf_proto: only syscall programs, which sleep anyway, may call it */
  row(166, INT, [ANY, IN, SIZE]),
  /** bpf_btf_find_by_name_kind_proto */
  row(167, INT, [IN, SIZE, ANY, ANY]),
  /** bpf_sys_close_proto */
  row(168, INT, [ANY]),
  /** bpf_timer_init_proto */
  row(169, INT, [TIMER, MAP, ANY], GPL),
  /** bpf_timer_set_callback_proto: callback(map, key, value) */
  row(170, INT, [TIMER, FUNC], { gplOnly: true, callbackArg: 1 }),
  /** bpf_timer_start_proto */
  row(171, INT, [TIMER, ANY, ANY], GPL),
  /** bpf_timer_cancel_proto */
  row(172, INT, [TIMER], GPL),
  /** bpf_get_func_ip_proto_tracing (bpf_get_func_ip_proto_kprobe, _kprobe_multi, _uprobe_multi: same) */
  row(173, INT, [CTX], GPL),
  /** bpf_get_attach_cookie_proto_trace (and the _pe, _tracing, _kprobe_multi, _uprobe_multi variants) */
  row(174, INT, [CTX]),
  /** bpf_task_pt_regs_proto */
  row(175, { kind: "ptr_to_btf_id", btfType: "pt_regs" }, [btf("task_struct")], GPL),
  /** bpf_get_branch_snapshot_proto */
  row(176, INT, [OUT, SIZE0, ANY], GPL),
  /** bpf_trace_vprintk_proto */
  row(177, INT, [IN, SIZE, IN_OR_NULL, SIZE0], GPL),
  /** bpf_skc_to_unix_sock_proto */
  row(178, btfRetOrNull("unix_sock"), [BTF_SOCK_COMMON]),
  /** bpf_kallsyms_lookup_name_proto */
  row(179, INT, [IN, SIZE0, ANY, U64_OUT]),
  /** bpf_find_vma_proto: callback(task, vma, ctx) */
  row(180, INT, [btf("task_struct"), ANY, FUNC, STACK_OR_NULL, ANY], { callbackArg: 2 }),
  /** bpf_loop_proto: callback(index, ctx) */
  row(181, INT, [ANY, FUNC, STACK_OR_NULL, ANY], { callbackArg: 1 }),
  /** bpf_strncmp_proto */
  row(182, INT, [IN, SIZE, CONST_STR]),
  /** bpf_get_func_arg_proto */
  row(183, INT, [CTX, ANY, U64_OUT]),
  /** bpf_get_func_ret_proto */
  row(184, INT, [CTX, U64_OUT]),
  /** bpf_get_func_arg_cnt_proto */
  row(185, INT, [CTX]),
  /** bpf_get_retval_proto */
  row(186, INT, []),
  /** bpf_set_retval_proto */
  row(187, INT, [ANY]),
  /** bpf_xdp_get_buff_len_proto (bpf_xdp_get_buff_len_trace_proto takes a BTF xdp_buff) */
  row(188, INT, [CTX]),
  /** bpf_xdp_load_bytes_proto */
  row(189, INT, [CTX, ANY, OUT, SIZE]),
  /** bpf_xdp_store_bytes_proto */
  row(190, INT, [CTX, ANY, IN, SIZE]),
  /** bpf_copy_from_user_task_proto */
  row(191, INT, [OUT, SIZE0, ANY, btf("task_struct"), ANY], { gplOnly: true, mightSleep: true }),
  /** bpf_skb_set_tstamp_proto */
  row(192, INT, [CTX, ANY, ANY]),
  /** bpf_ima_file_hash_proto */
  row(193, INT, [btf("file"), OUT, SIZE], { mightSleep: true }),
  /** bpf_kptr_xchg_proto: returns the old kptr, of the destination's type (ret_btf_id BPF_PTR_POISON) */
  row(194, { kind: "ptr_to_btf_id", maybeNull: true }, [{ kind: "kptr_xchg_dest" }, { kind: "ptr_to_btf_id", maybeNull: true, release: true }], { acquire: true }),
  /** bpf_map_lookup_percpu_elem_proto */
  row(195, VALUE_PTR_OR_NULL, [MAP, KEY, ANY], { pktAccess: true }),
  /** bpf_skc_to_mptcp_sock_proto */
  row(196, btfRetOrNull("mptcp_sock"), [SOCK_COMMON]),
  /** bpf_dynptr_from_mem_proto */
  row(197, INT, [OUT, SIZE0, ANY, dynptr("local", { uninit: true })]),
  /** bpf_ringbuf_reserve_dynptr_proto */
  row(198, INT, [MAP, ANY, ANY, dynptr("ringbuf", { uninit: true })]),
  /** bpf_ringbuf_submit_dynptr_proto */
  row(199, VOID, [dynptr("ringbuf", { release: true }), ANY]),
  /** bpf_ringbuf_discard_dynptr_proto */
  row(200, VOID, [dynptr("ringbuf", { release: true }), ANY]),
  /** bpf_dynptr_read_proto */
  row(201, INT, [OUT, SIZE0, dynptr(undefined, { readOnly: true }), ANY, ANY]),
  /** bpf_dynptr_write_proto */
  row(202, INT, [dynptr(undefined, { readOnly: true }), ANY, IN, SIZE0, ANY]),
  /** bpf_dynptr_data_proto: RET_PTR_TO_DYNPTR_MEM_OR_NULL, of the size argued by r3 */
  row(203, { kind: "ptr_to_mem", maybeNull: true }, [dynptr(undefined, { readOnly: true }), ANY, { kind: "const_alloc_size_or_zero" }]),
  /** bpf_tcp_raw_gen_syncookie_ipv4_proto: struct iphdr, then the TCP header and its length */
  row(204, INT, [fixedIn(20), IN, SIZE0], { gplOnly: true, pktAccess: true }),
  /** bpf_tcp_raw_gen_syncookie_ipv6_proto: struct ipv6hdr, then the TCP header */
  row(205, INT, [fixedIn(40), IN, SIZE0], { gplOnly: true, pktAccess: true }),
  /** bpf_tcp_raw_check_syncookie_ipv4_proto: struct iphdr, struct tcphdr */
  row(206, INT, [fixedIn(20), fixedIn(20)], { gplOnly: true, pktAccess: true }),
  /** bpf_tcp_raw_check_syncookie_ipv6_proto: struct ipv6hdr, struct tcphdr */
  row(207, INT, [fixedIn(40), fixedIn(20)], { gplOnly: true, pktAccess: true }),
  /** bpf_ktime_get_tai_ns_proto */
  row(208, INT, []),
  /** bpf_user_ringbuf_drain_proto: callback(dynptr, ctx) */
  row(209, INT, [MAP, FUNC, STACK_OR_NULL, ANY], { callbackArg: 1 }),
  /** bpf_cgrp_storage_get_proto */
  row(210, VALUE_PTR_OR_NULL, [MAP, btfOrNull("cgroup"), VALUE_OR_NULL, ANY]),
  /** bpf_cgrp_storage_delete_proto */
  row(211, INT, [MAP, btfOrNull("cgroup")]),
];

/** The prototype of helper `id`, or undefined for an id the kernel does not have. */
export function helperProto(id: number): HelperProto | undefined {
  return Number.isInteger(id) && id > 0 ? HELPER_PROTOS[id] : undefined;
}

/**
 * Helpers whose prototype the program type changes (its `*_func_proto` returns another
 * bpf_func_proto for the same id), by program type. tracing_prog_func_proto serves tracing
 * programs (tp_btf, fentry/fexit, iterators) and, through lsm_func_proto's fallback, LSM ones.
 */
const TRACING_VARIANTS: Readonly<Record<number, HelperProto>> = {
  /** bpf_get_socket_ptr_cookie_proto: the socket a BTF pointer names, not the context */
  46: row(46, INT, [BTF_SOCK_COMMON]),
};
/** ARG_PTR_TO_BTF_ID_OR_NULL of struct sock: a traced socket, or NULL */
const BTF_SOCK_OR_NULL: ArgSpec = { ...BTF_SOCK_COMMON, maybeNull: true };
const TYPE_VARIANTS: Readonly<Record<string, Readonly<Record<number, HelperProto>>>> = {
  tracing: {
    ...TRACING_VARIANTS,
    /** bpf_sk_storage_get_tracing_proto (LSM keeps bpf_sk_storage_get_proto) */
    107: row(107, VALUE_PTR_OR_NULL, [MAP, BTF_SOCK_OR_NULL, VALUE_OR_NULL, ANY]),
    /** bpf_sk_storage_delete_tracing_proto */
    108: row(108, INT, [MAP, BTF_SOCK_OR_NULL]),
  },
  lsm: TRACING_VARIANTS,
  sk_lookup: {
    /** bpf_sk_lookup_assign_proto: a full socket, or NULL to clear the selection */
    124: row(124, INT, [CTX, { kind: "ptr_to_socket", maybeNull: true }, ANY]),
  },
  // sock_filter_func_proto: the context is the socket.
  cgroup_sock: {
    /** bpf_sk_storage_get_cg_sock_proto */
    107: row(107, VALUE_PTR_OR_NULL, [MAP, CTX, VALUE_OR_NULL, ANY]),
  },
};

/** cgroup_sockopt's view of each helper, made once per helper. */
const SOCKOPT_PROTOS = new Map<number, HelperProto>();

/** The prototype of helper `id` as a program of type `type` sees it (the general row where the type has no variant). */
export function helperProtoFor(type: string | undefined, id: number): HelperProto | undefined {
  const proto = (type !== undefined ? TYPE_VARIANTS[type]?.[id] : undefined) ?? helperProto(id);
  // may_access_direct_pkt_data returns true for cgroup_sockopt whatever the proto's pkt_access:
  // its optval (a packet pointer) goes to any helper's memory argument.
  if (type !== "cgroup_sockopt" || !proto || proto.pktAccess) return proto;
  let seen = SOCKOPT_PROTOS.get(id);
  if (!seen) SOCKOPT_PROTOS.set(id, (seen = { ...proto, pktAccess: true }));
  return seen;
}
