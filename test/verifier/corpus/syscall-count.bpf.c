// Imitates a syscount-style counter: raw_tp sys_enter with untyped u64 args, per-CPU
// array and per-CPU hash counters keyed by syscall number and by pid.
#include "corpus.h"

#define MAX_SYSCALLS 512

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u64);
} by_nr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} by_pid SEC(".maps");

const volatile pid_t filter_tgid = 0;

SEC("raw_tp/sys_enter")
int count_syscalls(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (filter_tgid && (id >> 32) != filter_tgid)
		return 0;
	__u32 nr = (__u32)ctx->args[1];
	__u64 *c = bpf_map_lookup_elem(&by_nr, &nr);
	if (c)
		*c += 1;
	__u32 pid = id >> 32;
	c = bpf_map_lookup_elem(&by_pid, &pid);
	if (c) {
		*c += 1;
	} else {
		__u64 one = 1;
		bpf_map_update_elem(&by_pid, &pid, &one, BPF_NOEXIST);
	}
	return 0;
}
