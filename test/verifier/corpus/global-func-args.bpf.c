// Imitates a shared parsing library compiled as global functions: each takes pointers to
// caller memory (a stack buffer, a map value) that the kernel checks from the function's
// BTF signature alone, and the callers pass their own.
#include "corpus.h"

struct flow { __u32 src, dst; __u16 sport, dport; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flow);
} last_flow SEC(".maps");

__noinline int flow_hash(struct flow *f)
{
	if (!f)
		return 0;
	return (f->src * 31 + f->dst) ^ (f->sport << 16 | f->dport);
}

__noinline int flow_copy(struct flow *dst, const struct flow *src)
{
	if (!dst || !src)
		return -1;
	*dst = *src;
	return 0;
}

int last_hash;

SEC("tc")
int tc_flow(struct __sk_buff *skb)
{
	struct flow f = { .src = skb->hash, .dst = skb->ifindex, .sport = (__u16)skb->protocol, .dport = (__u16)skb->vlan_tci };
	__u32 zero = 0;
	struct flow *slot = bpf_map_lookup_elem(&last_flow, &zero);
	flow_copy(slot, &f);
	last_hash = flow_hash(&f);
	return TC_ACT_OK;
}
