/**
 * @fileoverview The attach half of the bpf() ABI (linux/bpf.h): the layouts of
 * BPF_LINK_CREATE, BPF_LINK_UPDATE, BPF_LINK_DETACH, BPF_RAW_TRACEPOINT_OPEN,
 * BPF_PROG_ATTACH/DETACH and BPF_PROG_QUERY, `struct bpf_link_info`, and the link types.
 */

import { defineLayout } from "./layout.js";

/** `enum bpf_link_type`, indexed by id, in bpftool's words. */
export const LINK_TYPES = [
  /** BPF_LINK_TYPE_UNSPEC */ "unspec",
  /** BPF_LINK_TYPE_RAW_TRACEPOINT */ "raw_tracepoint",
  /** BPF_LINK_TYPE_TRACING */ "tracing",
  /** BPF_LINK_TYPE_CGROUP */ "cgroup",
  /** BPF_LINK_TYPE_ITER */ "iter",
  /** BPF_LINK_TYPE_NETNS */ "netns",
  /** BPF_LINK_TYPE_XDP */ "xdp",
  /** BPF_LINK_TYPE_PERF_EVENT */ "perf_event",
  /** BPF_LINK_TYPE_KPROBE_MULTI */ "kprobe_multi",
  /** BPF_LINK_TYPE_STRUCT_OPS */ "struct_ops",
  /** BPF_LINK_TYPE_NETFILTER */ "netfilter",
  /** BPF_LINK_TYPE_TCX */ "tcx",
  /** BPF_LINK_TYPE_UPROBE_MULTI */ "uprobe_multi",
  /** BPF_LINK_TYPE_NETKIT */ "netkit",
  /** BPF_LINK_TYPE_SOCKMAP */ "sockmap",
] as const;

/** A link type's name, or `type N` for one newer than this table (as bpftool prints it). */
export const linkTypeName = (id: number): string => LINK_TYPES[id] ?? `type ${id}`;

/** `enum bpf_link_type` by name. */
export const LinkType = Object.fromEntries(LINK_TYPES.map((n, i) => [n, i])) as Record<(typeof LINK_TYPES)[number], number>;

/** `flags` of BPF_LINK_CREATE for XDP (XDP_FLAGS_* of linux/if_link.h). */
export const XdpFlags = {
  /** XDP_FLAGS_UPDATE_IF_NOEXIST */ UpdateIfNoexist: 1 << 0,
  /** XDP_FLAGS_SKB_MODE: generic XDP, in the network stack */ SkbMode: 1 << 1,
  /** XDP_FLAGS_DRV_MODE: native XDP, in the driver */ DrvMode: 1 << 2,
  /** XDP_FLAGS_HW_MODE: offloaded to the NIC */ HwMode: 1 << 3,
  /** XDP_FLAGS_REPLACE */ Replace: 1 << 4,
} as const;

/** `flags` of BPF_LINK_CREATE / BPF_PROG_ATTACH for tcx and multi-program cgroups (mprog). */
export const MprogFlags = {
  /** BPF_F_ALLOW_OVERRIDE */ AllowOverride: 1 << 0,
  /** BPF_F_ALLOW_MULTI */ AllowMulti: 1 << 1,
  /** BPF_F_REPLACE */ Replace: 1 << 2,
  /** BPF_F_BEFORE: attach before `relative_fd`/`relative_id` (or first, without one) */ Before: 1 << 3,
  /** BPF_F_AFTER: attach after `relative_fd`/`relative_id` (or last, without one) */ After: 1 << 4,
  /** BPF_F_ID: `relative` is an id, not an fd */ Id: 1 << 5,
  /** BPF_F_LINK: `relative` is a link, not a program */ Link: 1 << 13,
} as const;

/** BPF_F_UPROBE_MULTI_RETURN */
export const UPROBE_MULTI_RETURN = 1;

/**
 * The members of BPF_LINK_CREATE. The per-kind union at offset 16 is laid out as u64
 * slots named for every member that starts there; a u32 member written into a u64
 * slot lands right on a little-endian host, the only kind tsbpf's loader accepts here.
 */
export const LINK_CREATE = defineLayout("union bpf_attr", "link_create.", [
  ["prog_fd|map_fd", "u32"], ["target_fd|target_ifindex", "u32"], ["attach_type", "u32"], ["flags", "u32"],
  // perf_event.bpf_cookie, target_btf_id, tracing.target_btf_id, tcx.relative_fd, uprobe_multi.path
  ["bpf_cookie|target_btf_id|relative_fd|path", "u64"],
  // tcx.expected_revision, tracing.cookie, uprobe_multi.offsets
  ["expected_revision|tracing_cookie|offsets", "u64"],
  ["ref_ctr_offsets", "u64"], ["cookies", "u64"], ["cnt", "u32"], ["multi_flags", "u32"], ["pid", "u32"],
]);

/** The members of BPF_LINK_UPDATE. */
export const LINK_UPDATE = defineLayout("union bpf_attr", "link_update.", [
  ["link_fd", "u32"], ["new_prog_fd|new_map_fd", "u32"], ["flags", "u32"], ["old_prog_fd|old_map_fd", "u32"],
]);

/** The members of BPF_LINK_DETACH. */
export const LINK_DETACH = defineLayout("union bpf_attr", "link_detach.", [["link_fd", "u32"]]);

/** The members of BPF_RAW_TRACEPOINT_OPEN (cookie since 6.10). */
export const RAW_TP_OPEN = defineLayout("union bpf_attr", "raw_tracepoint.", [
  ["name", "u64"], ["prog_fd", "u32"], ["cookie", "u64"],
]);

/** The members of BPF_PROG_ATTACH and BPF_PROG_DETACH. */
export const PROG_ATTACH = defineLayout("union bpf_attr", "", [
  ["target_fd|target_ifindex", "u32"], ["attach_bpf_fd", "u32"], ["attach_type", "u32"], ["attach_flags", "u32"],
  ["replace_bpf_fd", "u32"], ["relative_fd|relative_id", "u32"], ["expected_revision", "u64"],
]);

/** The members of BPF_PROG_QUERY. */
export const PROG_QUERY = defineLayout("union bpf_attr", "query.", [
  ["target_fd|target_ifindex", "u32"], ["attach_type", "u32"], ["query_flags", "u32"], ["attach_flags", "u32"],
  ["prog_ids", "u64"], ["prog_cnt|count", "u32"], ["prog_attach_flags", "u64"], ["link_ids", "u64"],
  ["link_attach_flags", "u64"], ["revision", "u64"],
]);

/**
 * `struct bpf_link_info`: type, id, prog_id, then the per-type union at offset 16 as
 * u64 slots named by offset (`s16`...), read by offset in link-info.ts.
 */
export const LINK_INFO = defineLayout("struct bpf_link_info", "", [
  ["type", "u32"], ["id", "u32"], ["prog_id", "u32"],
  ["s16", "u64"], ["s24", "u64"], ["s32", "u64"], ["s40", "u64"], ["s48", "u64"], ["s56", "u64"],
]);

/** `enum bpf_perf_event_type`, the kind of a perf_event link, in bpftool's words. */
export const PERF_EVENT_TYPES = ["unspec", "uprobe", "uretprobe", "kprobe", "kretprobe", "tracepoint", "event"] as const;

/** Where the per-type members of `struct bpf_link_info` are, in bytes (checked against the kernel's BTF in the tests). */
export const LINK_INFO_AT = {
  "raw_tracepoint.tp_name": 16, "raw_tracepoint.tp_name_len": 24,
  "tracing.attach_type": 16, "tracing.target_obj_id": 20, "tracing.target_btf_id": 24,
  "cgroup.cgroup_id": 16, "cgroup.attach_type": 24,
  "netns.netns_ino": 16, "netns.attach_type": 20,
  "xdp.ifindex": 16,
  "struct_ops.map_id": 16,
  "tcx.ifindex": 16, "tcx.attach_type": 20,
  "sockmap.map_id": 16, "sockmap.attach_type": 20,
  "perf_event.type": 16,
  "perf_event.uprobe.file_name": 24, "perf_event.uprobe.name_len": 32, "perf_event.uprobe.offset": 36, "perf_event.uprobe.cookie": 40,
  "perf_event.tracepoint.tp_name": 24, "perf_event.tracepoint.name_len": 32, "perf_event.tracepoint.cookie": 40,
  "uprobe_multi.path": 16, "uprobe_multi.path_size": 48, "uprobe_multi.count": 52, "uprobe_multi.flags": 56, "uprobe_multi.pid": 60,
} as const;

/** The kernel's name of each LINK_CREATE member tsbpf names by its first alias (checked in the tests). */
export const LINK_CREATE_KERNEL_NAMES: Record<string, string> = {
  bpf_cookie: "perf_event.bpf_cookie", target_btf_id: "target_btf_id", relative_fd: "tcx.relative_fd", path: "uprobe_multi.path",
  expected_revision: "tcx.expected_revision", tracing_cookie: "tracing.cookie", offsets: "uprobe_multi.offsets",
  ref_ctr_offsets: "uprobe_multi.ref_ctr_offsets", cookies: "uprobe_multi.cookies", cnt: "uprobe_multi.cnt",
  multi_flags: "uprobe_multi.flags", pid: "uprobe_multi.pid",
};
