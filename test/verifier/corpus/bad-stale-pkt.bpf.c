// Near miss: a packet pointer kept across bpf_xdp_adjust_head, which invalidates it, and
// written through afterwards (the kernel: invalid mem access 'scalar').
#include "corpus.h"

SEC("xdp")
int xdp_push_tag(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	if (bpf_xdp_adjust_head(ctx, -4))
		return XDP_DROP;
	eth->h_proto = bpf_htons(ETH_P_8021Q); /* eth points into the old layout */
	return XDP_PASS;
}
