// Imitates an xdp-dispatcher / Cilium-style tail call chain: an entry program parses the
// L3 protocol and jumps through a program array to a per-protocol stage.
#include "xdp-parse.h"

enum { STAGE_IPV4 = 0, STAGE_IPV6 = 1 };

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} stages SEC(".maps");

__u64 missed_tail_calls;

SEC("xdp")
int xdp_entry(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct hdr_cursor c = { data };
	struct ethhdr *eth;
	int proto = parse_ethhdr(&c, end, &eth);
	if (proto == bpf_htons(ETH_P_IP))
		bpf_tail_call(ctx, &stages, STAGE_IPV4);
	else if (proto == bpf_htons(ETH_P_IPV6))
		bpf_tail_call(ctx, &stages, STAGE_IPV6);
	__sync_fetch_and_add(&missed_tail_calls, 1);
	return XDP_PASS;
}

SEC("xdp")
int xdp_stage_v4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > end)
		return XDP_ABORTED;
	return ip->ttl <= 1 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_stage_v6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
	if ((void *)(ip6 + 1) > end)
		return XDP_ABORTED;
	return ip6->hop_limit <= 1 ? XDP_DROP : XDP_PASS;
}
