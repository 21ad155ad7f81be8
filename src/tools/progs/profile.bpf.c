/* profile: sampled JS stacks counted by stack id (the tool attaches it at its frequency). */
#include "tools.h"

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tsbpf/perf/49")
int profile(struct tsbpf_perf_ctx *ctx)
{
	__s64 id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	__u64 one = 1, *n;
	__u32 key;
	if (id < 0)
		return 0;
	key = id;
	n = bpf_map_lookup_elem(&counts, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
