// Near miss: a helper subprogram returns the lookup result and the caller trusts it, the
// NULL check forgotten after a refactor (the kernel: R0 invalid mem access 'map_value_or_null').
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __noinline __u64 *counter_for(__u32 pid)
{
	return bpf_map_lookup_elem(&counts, &pid);
}

SEC("raw_tp/sys_enter")
int count_by_pid(void *ctx)
{
	__u64 *c = counter_for(bpf_get_current_pid_tgid() >> 32);
	*c += 1;
	return 0;
}
