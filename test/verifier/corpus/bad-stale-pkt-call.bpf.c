// Near misses: packet pointers kept across a call to a function that may move the packet.
// A global helper that pulls in more headers (bpf_skb_pull_data), and a static helper that
// hands the packet to the next stage of a tail-call chain, both leave the caller's checked
// Ethernet header unknown to the kernel (invalid mem access 'scalar'): the first because a
// global function's effects are summed up at the call, the second because the program a
// tail call in a subprogram runs may have moved the packet. (The same tail call made in the
// program itself would be fine: when it succeeds, nothing after it runs.)
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} stages SEC(".maps");

__noinline int pull_headers(struct __sk_buff *skb)
{
	return bpf_skb_pull_data(skb, 64);
}

SEC("tc")
int tc_pull(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return TC_ACT_SHOT;
	if (pull_headers(skb))
		return TC_ACT_OK;
	eth->h_dest[0] |= 2; /* eth checked before the pull */
	return TC_ACT_OK;
}

static __noinline int next_stage(struct __sk_buff *skb, __u32 stage)
{
	bpf_tail_call(skb, &stages, stage);
	return 0; /* no program in that slot */
}

SEC("tc")
int tc_chain(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return TC_ACT_SHOT;
	next_stage(skb, skb->mark & 3);
	eth->h_dest[0] |= 2; /* eth checked before the tail call */
	return TC_ACT_OK;
}
