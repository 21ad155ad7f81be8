// Imitates a multi-buffer (jumbo frame) aware XDP program: xdp.frags section, the total length
// from bpf_xdp_get_buff_len, headers copied out with bpf_xdp_load_bytes wherever they lie.
#include "corpus.h"

__u64 jumbo, small;

SEC("xdp.frags")
int xdp_jumbo(struct xdp_md *ctx)
{
	__u64 len = bpf_xdp_get_buff_len(ctx);
	struct ethhdr eth;
	struct iphdr ip;
	if (bpf_xdp_load_bytes(ctx, 0, &eth, sizeof(eth)) < 0)
		return XDP_PASS;
	if (eth.h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (bpf_xdp_load_bytes(ctx, sizeof(eth), &ip, sizeof(ip)) < 0)
		return XDP_DROP;
	if (len > 1514)
		__sync_fetch_and_add(&jumbo, 1);
	else
		__sync_fetch_and_add(&small, 1);
	return ip.ttl ? XDP_PASS : XDP_DROP;
}
