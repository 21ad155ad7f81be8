// Per-CPU scratch state updated with preemption disabled (bpf_preempt_disable/enable, as
// schedulers and per-CPU counters do so that two steps see the same CPU), in the program and
// in a static subprogram that takes the section over.
#include "corpus.h"

extern void bpf_preempt_disable(void) __ksym;
extern void bpf_preempt_enable(void) __ksym;

struct scratch { __u64 seq; __u64 bytes; };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __noinline int finish_update(struct scratch *s, __u32 len)
{
	s->bytes += len;
	bpf_preempt_enable();
	return 0;
}

SEC("tc")
int account(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);

	if (!s)
		return TC_ACT_OK;
	bpf_preempt_disable();
	s->seq++;
	finish_update(s, skb->len);
	return TC_ACT_OK;
}
