// A near miss of a locked counter: a "quick check" reads the lock word itself instead of
// taking the lock, and a cleanup path unlocks the other bucket's lock. The kernel refuses
// both: a bpf_spin_lock is touched only by its helpers, and unlocked where it was taken.
#include "xdp-parse.h"

struct counter {
	__u64 hits;
	struct bpf_spin_lock lock;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct counter);
} counters SEC(".maps");

SEC("tc")
int peek_lock(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct counter *c = bpf_map_lookup_elem(&counters, &key);
	if (!c)
		return TC_ACT_OK;
	/* "is anyone holding it?" */
	if (*(volatile __u32 *)&c->lock)
		return TC_ACT_OK;
	bpf_spin_lock(&c->lock);
	c->hits++;
	bpf_spin_unlock(&c->lock);
	return TC_ACT_OK;
}

SEC("tc")
int unlock_other(struct __sk_buff *skb)
{
	__u32 k0 = 0, k1 = 1;
	struct counter *a = bpf_map_lookup_elem(&counters, &k0);
	struct counter *b = bpf_map_lookup_elem(&counters, &k1);
	if (!a || !b)
		return TC_ACT_OK;
	bpf_spin_lock(&a->lock);
	a->hits++;
	bpf_spin_unlock(&b->lock);
	return TC_ACT_OK;
}
