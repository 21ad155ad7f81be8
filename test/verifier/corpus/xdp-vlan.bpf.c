// Imitates xdp-tools' VLAN handling: strip up to two stacked 802.1Q/802.1ad tags in a loop,
// count frames per VLAN id, and pop the outer tag with bpf_xdp_adjust_head.
#include "xdp-parse.h"

#define VLAN_MAX_DEPTH 2

struct vlan_tag { __be16 tci; __be16 encap_proto; };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} per_vlan SEC(".maps");

const volatile bool pop_outer = true;

static __always_inline bool is_vlan(__u16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

SEC("xdp")
int xdp_vlan(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	__u16 proto = eth->h_proto;
	struct vlan_tag *vh = (void *)(eth + 1);
	__u32 outer_id = 0;
	int depth = 0;
#pragma unroll
	for (int i = 0; i < VLAN_MAX_DEPTH; i++) {
		if (!is_vlan(proto))
			break;
		if ((void *)(vh + 1) > end)
			return XDP_DROP;
		if (i == 0)
			outer_id = bpf_ntohs(vh->tci) & 0x0fff;
		proto = vh->encap_proto;
		vh++;
		depth++;
	}
	__u64 *cnt = bpf_map_lookup_elem(&per_vlan, &outer_id);
	if (cnt)
		*cnt += 1;
	if (!pop_outer || depth == 0)
		return XDP_PASS;
	/* Move the MAC addresses over the outer tag, then drop 4 bytes. */
	struct ethhdr copy;
	__builtin_memcpy(&copy, eth, sizeof(copy));
	if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct vlan_tag)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, copy.h_dest, 6);
	__builtin_memcpy(eth->h_source, copy.h_source, 6);
	return XDP_PASS;
}
