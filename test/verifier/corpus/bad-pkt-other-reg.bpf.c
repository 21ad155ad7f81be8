// Near miss: the bound is checked on the Ethernet header pointer, but the IP header is read
// through a pointer derived separately from data, past what was proven (the kernel: invalid
// access to packet).
#include "corpus.h"

SEC("xdp")
int xdp_ttl_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	struct iphdr *ip = data + sizeof(*eth); /* never compared with end */
	if (eth->h_proto == bpf_htons(ETH_P_IP) && ip->ttl < 2)
		return XDP_DROP;
	return XDP_PASS;
}
