// Imitates xdp-tools' habit of global (separately verified) functions beside static
// subprograms: a global classifier taking the context, a static noinline counter.
#include "xdp-parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

__noinline int classify(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return XDP_PASS;
	if (eth->h_dest[0] & 1)
		return XDP_DROP; /* multicast */
	return XDP_PASS;
}

static __noinline void count(__u32 action)
{
	if (action >= 8)
		return;
	__u64 *v = bpf_map_lookup_elem(&verdicts, &action);
	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int xdp_classify(struct xdp_md *ctx)
{
	int action = classify(ctx);
	count(action);
	if (action < 0 || action > XDP_REDIRECT)
		return XDP_ABORTED;
	return action;
}
