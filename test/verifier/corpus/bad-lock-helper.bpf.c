// Near miss: a helper call (a timestamp) slipped inside the spin-locked section; the kernel
// allows no helper calls but the unlock while a bpf_spin_lock is held.
#include "corpus.h"

struct stamp { struct bpf_spin_lock lock; __u64 last; __u64 n; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stamp);
} st SEC(".maps");

SEC("tc")
int tc_stamp(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct stamp *s = bpf_map_lookup_elem(&st, &zero);
	if (!s)
		return TC_ACT_OK;
	bpf_spin_lock(&s->lock);
	s->last = bpf_ktime_get_ns();
	s->n++;
	bpf_spin_unlock(&s->lock);
	return TC_ACT_OK;
}
