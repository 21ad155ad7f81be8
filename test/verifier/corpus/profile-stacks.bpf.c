// Imitates a profile-style CPU sampler: perf_event programs count (pid, user stack id,
// kernel stack id) keys, the stacks stored in a BPF_MAP_TYPE_STACK_TRACE map.
#include "corpus.h"

#define MAX_DEPTH 127

struct key_t { __u32 pid; __s32 ustack; __s32 kstack; char comm[TASK_COMM_LEN]; };

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, MAX_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct key_t);
	__type(value, __u64);
} counts SEC(".maps");

const volatile bool user_only = false;

SEC("perf_event")
int do_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct key_t k = {};
	if (!(id >> 32))
		return 0; /* idle */
	k.pid = id >> 32;
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	k.ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	k.kstack = user_only ? -1 : bpf_get_stackid(ctx, &stacks, 0);
	__u64 one = 1, *v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST);
	return 0;
}
