// Near miss: a tp_btf program shipped under a proprietary licence that reads a field of the
// `struct task_struct *` its tracepoint hands it. Direct reads of kernel structs through BTF
// pointers are for GPL-compatible programs only (bpf_probe_read_kernel is the way round).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Proprietary";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} wakeups SEC(".maps");

SEC("tp_btf/sched_wakeup")
int BPF_PROG(count_wakeup, struct task_struct *p)
{
	__u32 pid = p->pid;
	__u64 one = 1, *n = bpf_map_lookup_elem(&wakeups, &pid);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&wakeups, &pid, &one, BPF_NOEXIST);
	return 0;
}
