// Imitates a Katran-style per-VIP backend table: an array of hash maps (map-in-map), the
// outer slot chosen by VIP index, the inner map keyed by the flow hash.
#include "xdp-parse.h"

struct backend { __u32 ip; __u16 port; __u16 weight; };

struct inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct backend);
} backends0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 16);
	__type(key, __u32);
	__array(values, struct inner);
} vip_backends SEC(".maps") = {
	.values = { [0] = &backends0 },
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

SEC("xdp")
int lb_select(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct hdr_cursor c = { data };
	struct ethhdr *eth;
	if (parse_ethhdr(&c, end, &eth) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = c.pos;
	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	__u32 vip = bpf_ntohl(ip->daddr) & 0xf;
	void *inner = bpf_map_lookup_elem(&vip_backends, &vip);
	if (!inner)
		return XDP_PASS;
	__u32 hash = ip->saddr ^ ip->daddr ^ ip->protocol;
	hash &= 0xff;
	struct backend *b = bpf_map_lookup_elem(inner, &hash);
	__u32 k = b ? 0 : 1;
	__u64 *cnt = bpf_map_lookup_elem(&stats, &k);
	if (cnt)
		*cnt += 1;
	if (!b)
		return XDP_DROP;
	ip->daddr = b->ip;
	return XDP_TX;
}
