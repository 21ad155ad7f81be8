/**
 * @fileoverview The bpf() ABI from the kernel's uapi `linux/bpf.h`: command numbers,
 * flags, and the layouts of the `union bpf_attr` members and info structs tsbpf uses.
 * An attribute layout stops at the last member tsbpf sets: the kernel treats the rest
 * as zero, and a kernel older than a member ignores it while it is zero.
 */

import { defineLayout } from "./layout.js";

/** `enum bpf_cmd`: the first argument of bpf(). */
export const Cmd = {
  /** BPF_MAP_CREATE */ MapCreate: 0,
  /** BPF_MAP_LOOKUP_ELEM */ MapLookupElem: 1,
  /** BPF_MAP_UPDATE_ELEM */ MapUpdateElem: 2,
  /** BPF_MAP_DELETE_ELEM */ MapDeleteElem: 3,
  /** BPF_MAP_GET_NEXT_KEY */ MapGetNextKey: 4,
  /** BPF_PROG_LOAD */ ProgLoad: 5,
  /** BPF_OBJ_PIN */ ObjPin: 6,
  /** BPF_OBJ_GET */ ObjGet: 7,
  /** BPF_PROG_ATTACH */ ProgAttach: 8,
  /** BPF_PROG_DETACH */ ProgDetach: 9,
  /** BPF_PROG_TEST_RUN */ ProgTestRun: 10,
  /** BPF_PROG_GET_NEXT_ID */ ProgGetNextId: 11,
  /** BPF_MAP_GET_NEXT_ID */ MapGetNextId: 12,
  /** BPF_PROG_GET_FD_BY_ID */ ProgGetFdById: 13,
  /** BPF_MAP_GET_FD_BY_ID */ MapGetFdById: 14,
  /** BPF_OBJ_GET_INFO_BY_FD */ ObjGetInfoByFd: 15,
  /** BPF_PROG_QUERY */ ProgQuery: 16,
  /** BPF_RAW_TRACEPOINT_OPEN */ RawTracepointOpen: 17,
  /** BPF_BTF_LOAD */ BtfLoad: 18,
  /** BPF_BTF_GET_FD_BY_ID */ BtfGetFdById: 19,
  /** BPF_TASK_FD_QUERY */ TaskFdQuery: 20,
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM */ MapLookupAndDeleteElem: 21,
  /** BPF_MAP_FREEZE */ MapFreeze: 22,
  /** BPF_BTF_GET_NEXT_ID */ BtfGetNextId: 23,
  /** BPF_MAP_LOOKUP_BATCH */ MapLookupBatch: 24,
  /** BPF_MAP_LOOKUP_AND_DELETE_BATCH */ MapLookupAndDeleteBatch: 25,
  /** BPF_MAP_UPDATE_BATCH */ MapUpdateBatch: 26,
  /** BPF_MAP_DELETE_BATCH */ MapDeleteBatch: 27,
  /** BPF_LINK_CREATE */ LinkCreate: 28,
  /** BPF_LINK_UPDATE */ LinkUpdate: 29,
  /** BPF_LINK_GET_FD_BY_ID */ LinkGetFdById: 30,
  /** BPF_LINK_GET_NEXT_ID */ LinkGetNextId: 31,
  /** BPF_ENABLE_STATS */ EnableStats: 32,
  /** BPF_ITER_CREATE */ IterCreate: 33,
  /** BPF_LINK_DETACH */ LinkDetach: 34,
  /** BPF_PROG_BIND_MAP */ ProgBindMap: 35,
  /** BPF_TOKEN_CREATE */ TokenCreate: 36,
  /** BPF_PROG_STREAM_READ_BY_FD */ ProgStreamReadByFd: 37,
} as const;

const CMD_NAMES = [
  "MAP_CREATE", "MAP_LOOKUP_ELEM", "MAP_UPDATE_ELEM", "MAP_DELETE_ELEM", "MAP_GET_NEXT_KEY", "PROG_LOAD",
  "OBJ_PIN", "OBJ_GET", "PROG_ATTACH", "PROG_DETACH", "PROG_TEST_RUN", "PROG_GET_NEXT_ID", "MAP_GET_NEXT_ID",
  "PROG_GET_FD_BY_ID", "MAP_GET_FD_BY_ID", "OBJ_GET_INFO_BY_FD", "PROG_QUERY", "RAW_TRACEPOINT_OPEN",
  "BTF_LOAD", "BTF_GET_FD_BY_ID", "TASK_FD_QUERY", "MAP_LOOKUP_AND_DELETE_ELEM", "MAP_FREEZE",
  "BTF_GET_NEXT_ID", "MAP_LOOKUP_BATCH", "MAP_LOOKUP_AND_DELETE_BATCH", "MAP_UPDATE_BATCH",
  "MAP_DELETE_BATCH", "LINK_CREATE", "LINK_UPDATE", "LINK_GET_FD_BY_ID", "LINK_GET_NEXT_ID",
  "ENABLE_STATS", "ITER_CREATE", "LINK_DETACH", "PROG_BIND_MAP", "TOKEN_CREATE", "PROG_STREAM_READ_BY_FD",
];

/** The kernel's name of a command, "BPF_MAP_CREATE". */
export const cmdName = (cmd: number): string => `BPF_${CMD_NAMES[cmd] ?? `CMD_${cmd}`}`;

/** The `flags` of BPF_MAP_UPDATE_ELEM and friends. */
export const UpdateFlags = {
  /** BPF_ANY: create a new element or update an existing one */ Any: 0,
  /** BPF_NOEXIST: create a new element only if it did not exist */ NoExist: 1,
  /** BPF_EXIST: update an existing element only */ Exist: 2,
  /** BPF_F_LOCK: take the value's bpf_spin_lock while copying */ Lock: 4,
} as const;

/** `map_flags` of BPF_MAP_CREATE. */
export const MapFlags = {
  /** BPF_F_NO_PREALLOC */ NoPrealloc: 1 << 0,
  /** BPF_F_NO_COMMON_LRU */ NoCommonLru: 1 << 1,
  /** BPF_F_NUMA_NODE */ NumaNode: 1 << 2,
  /** BPF_F_RDONLY */ Rdonly: 1 << 3,
  /** BPF_F_WRONLY */ Wronly: 1 << 4,
  /** BPF_F_STACK_BUILD_ID */ StackBuildId: 1 << 5,
  /** BPF_F_ZERO_SEED */ ZeroSeed: 1 << 6,
  /** BPF_F_RDONLY_PROG */ RdonlyProg: 1 << 7,
  /** BPF_F_WRONLY_PROG */ WronlyProg: 1 << 8,
  /** BPF_F_CLONE */ Clone: 1 << 9,
  /** BPF_F_MMAPABLE */ Mmapable: 1 << 10,
  /** BPF_F_PRESERVE_ELEMS */ PreserveElems: 1 << 11,
  /** BPF_F_INNER_MAP */ InnerMap: 1 << 12,
  /** BPF_F_LINK */ Link: 1 << 13,
  /** BPF_F_PATH_FD */ PathFd: 1 << 14,
  /** BPF_F_VTYPE_BTF_OBJ_FD */ VtypeBtfObjFd: 1 << 15,
  /** BPF_F_TOKEN_FD */ TokenFd: 1 << 16,
  /** BPF_F_SEGV_ON_FAULT */ SegvOnFault: 1 << 17,
  /** BPF_F_NO_USER_CONV */ NoUserConv: 1 << 18,
} as const;

/** `prog_flags` of BPF_PROG_LOAD. */
export const ProgFlags = {
  /** BPF_F_STRICT_ALIGNMENT */ StrictAlignment: 1 << 0,
  /** BPF_F_ANY_ALIGNMENT */ AnyAlignment: 1 << 1,
  /** BPF_F_TEST_RND_HI32 */ TestRndHi32: 1 << 2,
  /** BPF_F_TEST_STATE_FREQ */ TestStateFreq: 1 << 3,
  /** BPF_F_SLEEPABLE: required for BPF_PROG_TYPE_SYSCALL */ Sleepable: 1 << 4,
  /** BPF_F_XDP_HAS_FRAGS */ XdpHasFrags: 1 << 5,
  /** BPF_F_XDP_DEV_BOUND_ONLY */ XdpDevBoundOnly: 1 << 6,
  /** BPF_F_TEST_REG_INVARIANTS */ TestRegInvariants: 1 << 7,
  /** BPF_F_TOKEN_FD */ TokenFd: 1 << 16,
} as const;

/** `flags` of BPF_PROG_TEST_RUN. */
export const TestRunFlags = {
  /** BPF_F_TEST_RUN_ON_CPU: run on `cpu` */ RunOnCpu: 1 << 0,
  /** BPF_F_TEST_XDP_LIVE_FRAMES */ XdpLiveFrames: 1 << 1,
  /** BPF_F_TEST_SKB_CHECKSUM_COMPLETE */ SkbChecksumComplete: 1 << 2,
} as const;

/** `file_flags` of BPF_OBJ_GET and `open_flags` of the *_GET_FD_BY_ID commands. */
export const FileFlags = {
  /** BPF_F_RDONLY */ Rdonly: 1 << 3,
  /** BPF_F_WRONLY */ Wronly: 1 << 4,
} as const;

/** BPF_OBJ_NAME_LEN: object names hold 15 bytes and a NUL. */
export const OBJ_NAME_LEN = 16;

/** BPF_TAG_SIZE: a program's tag is the first 8 bytes of a SHA-1 of its instructions. */
export const TAG_SIZE = 8;

/** BPF_LOG_LEVEL1, BPF_LOG_LEVEL2, BPF_LOG_STATS: bits of `log_level`. */
export const LogLevel = { Branches: 1, Everything: 2, Stats: 4 } as const;

/** BPF_PSEUDO_MAP_FD and BPF_PSEUDO_MAP_VALUE, the `src` of a 64-bit load of a map. */
export const PSEUDO_MAP_FD = 1;
export const PSEUDO_MAP_VALUE = 2;
/** BPF_PSEUDO_CALL, the `src` of a call to a local subprogram. */
export const PSEUDO_CALL = 1;

/** The members of BPF_MAP_CREATE. */
export const MAP_CREATE = defineLayout("union bpf_attr", "", [
  ["map_type", "u32"], ["key_size", "u32"], ["value_size", "u32"], ["max_entries", "u32"],
  ["map_flags", "u32"], ["inner_map_fd", "u32"], ["numa_node", "u32"], ["map_name", "char[16]"],
  ["map_ifindex", "u32"], ["btf_fd", "u32"], ["btf_key_type_id", "u32"], ["btf_value_type_id", "u32"],
  ["btf_vmlinux_value_type_id", "u32"], ["map_extra", "u64"],
]);

/** The members of BPF_MAP_*_ELEM and BPF_MAP_GET_NEXT_KEY. */
export const MAP_ELEM = defineLayout("union bpf_attr", "", [
  ["map_fd", "u32"], ["key", "u64"], ["value|next_key", "u64"], ["flags", "u64"],
]);

/** The members of BPF_MAP_*_BATCH. */
export const MAP_BATCH = defineLayout("union bpf_attr", "batch.", [
  ["in_batch", "u64"], ["out_batch", "u64"], ["keys", "u64"], ["values", "u64"],
  ["count", "u32"], ["map_fd", "u32"], ["elem_flags", "u64"], ["flags", "u64"],
]);

/** The members of BPF_PROG_LOAD, through `log_true_size` (6.4) which says how big a log would fit. */
export const PROG_LOAD = defineLayout("union bpf_attr", "", [
  ["prog_type", "u32"], ["insn_cnt", "u32"], ["insns", "u64"], ["license", "u64"],
  ["log_level", "u32"], ["log_size", "u32"], ["log_buf", "u64"], ["kern_version", "u32"],
  ["prog_flags", "u32"], ["prog_name", "char[16]"], ["prog_ifindex", "u32"], ["expected_attach_type", "u32"],
  ["prog_btf_fd", "u32"], ["func_info_rec_size", "u32"], ["func_info", "u64"], ["func_info_cnt", "u32"],
  ["line_info_rec_size", "u32"], ["line_info", "u64"], ["line_info_cnt", "u32"], ["attach_btf_id", "u32"],
  ["attach_prog_fd|attach_btf_obj_fd", "u32"], ["core_relo_cnt", "u32"], ["fd_array", "u64"],
  ["core_relos", "u64"], ["core_relo_rec_size", "u32"], ["log_true_size", "u32"],
]);

/** The members of BPF_OBJ_PIN and BPF_OBJ_GET. */
export const OBJ = defineLayout("union bpf_attr", "", [
  ["pathname", "u64"], ["bpf_fd", "u32"], ["file_flags", "u32"],
]);

/** The members of BPF_PROG_TEST_RUN. */
export const TEST_RUN = defineLayout("union bpf_attr", "test.", [
  ["prog_fd", "u32"], ["retval", "u32"], ["data_size_in", "u32"], ["data_size_out", "u32"],
  ["data_in", "u64"], ["data_out", "u64"], ["repeat", "u32"], ["duration", "u32"],
  ["ctx_size_in", "u32"], ["ctx_size_out", "u32"], ["ctx_in", "u64"], ["ctx_out", "u64"],
  ["flags", "u32"], ["cpu", "u32"], ["batch_size", "u32"],
]);

/** The members of BPF_*_GET_NEXT_ID and BPF_*_GET_FD_BY_ID. */
export const GET_ID = defineLayout("union bpf_attr", "", [
  ["start_id|prog_id|map_id|btf_id|link_id", "u32"], ["next_id", "u32"], ["open_flags", "u32"],
]);

/** The members of BPF_OBJ_GET_INFO_BY_FD. */
export const INFO = defineLayout("union bpf_attr", "info.", [
  ["bpf_fd", "u32"], ["info_len", "u32"], ["info", "u64"],
]);

/** The members of BPF_BTF_LOAD, through `btf_log_true_size` (6.4). */
export const BTF_LOAD = defineLayout("union bpf_attr", "", [
  ["btf", "u64"], ["btf_log_buf", "u64"], ["btf_size", "u32"], ["btf_log_size", "u32"],
  ["btf_log_level", "u32"], ["btf_log_true_size", "u32"],
]);

/** `struct bpf_prog_info`, as of Linux 6.18; an older kernel fills a prefix of it. */
export const PROG_INFO = defineLayout("struct bpf_prog_info", "", [
  ["type", "u32"], ["id", "u32"], ["tag", "u8[8]"], ["jited_prog_len", "u32"], ["xlated_prog_len", "u32"],
  ["jited_prog_insns", "u64"], ["xlated_prog_insns", "u64"], ["load_time", "u64"], ["created_by_uid", "u32"],
  ["nr_map_ids", "u32"], ["map_ids", "u64"], ["name", "char[16]"], ["ifindex", "u32"],
  ["gpl_compatible", "bits32"], ["netns_dev", "u64"], ["netns_ino", "u64"], ["nr_jited_ksyms", "u32"],
  ["nr_jited_func_lens", "u32"], ["jited_ksyms", "u64"], ["jited_func_lens", "u64"], ["btf_id", "u32"],
  ["func_info_rec_size", "u32"], ["func_info", "u64"], ["nr_func_info", "u32"], ["nr_line_info", "u32"],
  ["line_info", "u64"], ["jited_line_info", "u64"], ["nr_jited_line_info", "u32"], ["line_info_rec_size", "u32"],
  ["jited_line_info_rec_size", "u32"], ["nr_prog_tags", "u32"], ["prog_tags", "u64"], ["run_time_ns", "u64"],
  ["run_cnt", "u64"], ["recursion_misses", "u64"], ["verified_insns", "u32"], ["attach_btf_obj_id", "u32"],
  ["attach_btf_id", "u32"],
]);

/** `struct bpf_map_info`, as of Linux 6.18. */
export const MAP_INFO = defineLayout("struct bpf_map_info", "", [
  ["type", "u32"], ["id", "u32"], ["key_size", "u32"], ["value_size", "u32"], ["max_entries", "u32"],
  ["map_flags", "u32"], ["name", "char[16]"], ["ifindex", "u32"], ["btf_vmlinux_value_type_id", "u32"],
  ["netns_dev", "u64"], ["netns_ino", "u64"], ["btf_id", "u32"], ["btf_key_type_id", "u32"],
  ["btf_value_type_id", "u32"], ["btf_vmlinux_id", "u32"], ["map_extra", "u64"],
]);

/** `struct bpf_btf_info`. */
export const BTF_INFO = defineLayout("struct bpf_btf_info", "", [
  ["btf", "u64"], ["btf_size", "u32"], ["id", "u32"], ["name", "u64"], ["name_len", "u32"], ["kernel_btf", "u32"],
]);

/** Every layout above, by name, for the test that checks them against the kernel's BTF. */
export const LAYOUTS = { MAP_CREATE, MAP_ELEM, MAP_BATCH, PROG_LOAD, OBJ, TEST_RUN, GET_ID, INFO, BTF_LOAD, PROG_INFO, MAP_INFO, BTF_INFO };
