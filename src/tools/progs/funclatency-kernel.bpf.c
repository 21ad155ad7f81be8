/* funclatency on the kernel's hooks: a uprobe at a function's entry keeps the time per
 * thread, its uretprobe adds the duration (in config.unit_ns) to a log2 histogram and the
 * totals. Attached by the tool to BINARY:SYMBOL of one process. */
#include "tools.h"

/* config: tools.h's struct tool_config (unit_ns) */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} starts SEC(".maps");

/* BCC's log2 slots (log2l): slot i counts durations in [2^(i-1), 2^i - 1] units */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

/* 0: total duration in units, 1: calls */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} totals SEC(".maps");

SEC("uprobe")
int funclatency_entry(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns();

	bpf_map_update_elem(&starts, &id, &now, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int funclatency_return(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), *start = bpf_map_lookup_elem(&starts, &id), d, *v;
	__u32 zero = 0, one = 1, slot;
	struct tool_config *c = tool_config();

	if (!start)
		return 0; /* entered before the attach */
	d = bpf_ktime_get_ns() - *start;
	bpf_map_delete_elem(&starts, &id);
	if (c && c->unit_ns > 1)
		d /= c->unit_ns;
	slot = log2l(d);
	if (slot > 63)
		slot = 63;
	v = bpf_map_lookup_elem(&hist, &slot);
	if (v)
		__sync_fetch_and_add(v, 1);
	v = bpf_map_lookup_elem(&totals, &zero);
	if (v)
		__sync_fetch_and_add(v, d);
	v = bpf_map_lookup_elem(&totals, &one);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
