// Imitates an IPv6 firewall walking the extension header chain in a bounded loop (hop-by-hop,
// routing, destination options, fragment) to find the upper-layer protocol and port.
#include "xdp-parse.h"

#define MAX_EXT_HDRS 6
#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_DEST 60

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u8);
} blocked_ports SEC(".maps");

SEC("xdp")
int xdp_ipv6_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct hdr_cursor c = { data };
	struct ethhdr *eth;
	if (parse_ethhdr(&c, end, &eth) != bpf_htons(ETH_P_IPV6))
		return XDP_PASS;
	struct ipv6hdr *ip6 = c.pos;
	if ((void *)(ip6 + 1) > end)
		return XDP_DROP;
	c.pos = ip6 + 1;
	__u8 next = ip6->nexthdr;
	for (int i = 0; i < MAX_EXT_HDRS; i++) {
		struct ipv6_opt_hdr *opt = c.pos;
		if (next != NEXTHDR_HOP && next != NEXTHDR_ROUTING && next != NEXTHDR_DEST && next != NEXTHDR_FRAGMENT)
			break;
		if ((void *)(opt + 1) > end)
			return XDP_DROP;
		if (next == NEXTHDR_FRAGMENT)
			c.pos += 8;
		else
			c.pos += (opt->hdrlen + 1) * 8;
		next = opt->nexthdr;
	}
	if (next != IPPROTO_TCP && next != IPPROTO_UDP)
		return XDP_PASS;
	struct udphdr *l4 = c.pos; /* TCP and UDP ports sit at the same offsets */
	if ((void *)(l4 + 1) > end)
		return XDP_DROP;
	__u16 port = bpf_ntohs(l4->dest);
	return bpf_map_lookup_elem(&blocked_ports, &port) ? XDP_DROP : XDP_PASS;
}
