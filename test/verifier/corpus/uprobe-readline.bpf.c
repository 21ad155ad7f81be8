// Imitates bashreadline: a uretprobe on readline() reads the returned user string, plus a
// uprobe on a malloc-like entry recording sizes per thread for its return probe.
#include "corpus.h"

struct line_event { __u32 pid; char comm[TASK_COMM_LEN]; char line[80]; };

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} sizes SEC(".maps");

__u64 total_allocated;

SEC("uretprobe//bin/bash:readline")
int BPF_KRETPROBE(printret, const void *ret)
{
	struct line_event e = {};
	if (!ret)
		return 0;
	e.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	bpf_probe_read_user_str(e.line, sizeof(e.line), ret);
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

SEC("uprobe/libc.so.6:malloc")
int BPF_KPROBE(malloc_enter, size_t size)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 s = size;
	bpf_map_update_elem(&sizes, &tid, &s, BPF_ANY);
	return 0;
}

SEC("uretprobe/libc.so.6:malloc")
int BPF_KRETPROBE(malloc_exit, void *ptr)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *s = bpf_map_lookup_elem(&sizes, &tid);
	if (!s)
		return 0;
	if (ptr)
		__sync_fetch_and_add(&total_allocated, *s);
	bpf_map_delete_elem(&sizes, &tid);
	return 0;
}
