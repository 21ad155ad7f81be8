// Imitates header parsing through skb and xdp dynptrs: bpf_dynptr_from_skb/xdp and
// bpf_dynptr_slice with a stack buffer for data that is not linear, NULL-checked slices.
#include "corpus.h"
#include "dynptr.h"

__u64 ipv4_packets, low_ttl;

SEC("tc")
int count_ipv4(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;
	struct ethhdr ebuf, *eth;
	struct iphdr ibuf, *ip;

	if (bpf_dynptr_from_skb(skb, 0, &ptr))
		return TC_ACT_OK;
	eth = bpf_dynptr_slice(&ptr, 0, &ebuf, sizeof(ebuf));
	if (!eth || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	ip = bpf_dynptr_slice(&ptr, sizeof(*eth), &ibuf, sizeof(ibuf));
	if (!ip)
		return TC_ACT_OK;
	ipv4_packets++;
	if (ip->ttl < 2)
		low_ttl++;
	return TC_ACT_OK;
}

SEC("xdp")
int drop_expiring(struct xdp_md *ctx)
{
	struct bpf_dynptr ptr;
	__u8 buf[sizeof(struct iphdr)];
	struct iphdr *ip;

	if (bpf_dynptr_from_xdp(ctx, 0, &ptr))
		return XDP_PASS;
	ip = bpf_dynptr_slice(&ptr, sizeof(struct ethhdr), buf, sizeof(buf));
	if (!ip)
		return XDP_PASS;
	return ip->ttl > 1 ? XDP_PASS : XDP_DROP;
}
