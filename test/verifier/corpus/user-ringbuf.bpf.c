// Imitates a control channel from user space: a user ring buffer drained from a syscall-entry
// program, each sample read through its dynptr into a rule table.
#include "corpus.h"

struct rule_msg { __u32 slot; __u32 action; };

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 4096);
} control SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} actions SEC(".maps");

static long apply(struct bpf_dynptr *dynptr, void *ctx)
{
	struct rule_msg m;
	if (bpf_dynptr_read(&m, sizeof(m), dynptr, 0, 0))
		return 1;
	__u32 slot = m.slot;
	bpf_map_update_elem(&actions, &slot, &m.action, BPF_ANY);
	return 0;
}

SEC("raw_tp/sys_enter")
int drain_control(void *ctx)
{
	bpf_user_ringbuf_drain(&control, apply, NULL, 0);
	return 0;
}
