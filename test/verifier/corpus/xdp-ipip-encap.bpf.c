// Imitates Katran's IPIP encapsulation: grow the headroom with bpf_xdp_adjust_head, re-check
// every bound on the moved packet, write a new outer IPv4 header and compute its checksum
// over the header's ten 16-bit words in a loop.
#include "xdp-parse.h"

struct real { __be32 addr; __u8 mac[6]; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct real);
} reals SEC(".maps");

const volatile __be32 local_addr = 0x0100000a;

static __always_inline __u16 ipv4_csum(struct iphdr *ip)
{
	__u32 sum = 0;
	__u16 *w = (__u16 *)ip;
	for (int i = 0; i < (int)(sizeof(*ip) / 2); i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int xdp_encap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *inner = data + sizeof(*eth);
	if ((void *)(inner + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	__u32 idx = bpf_ntohl(inner->saddr) % 64;
	__u16 payload = bpf_ntohs(inner->tot_len);
	struct real *r = bpf_map_lookup_elem(&reals, &idx);
	if (!r)
		return XDP_DROP;
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	struct ethhdr *neth = data;
	struct iphdr *outer = data + sizeof(*neth);
	struct ethhdr *old_eth = data + sizeof(struct iphdr);
	if ((void *)(outer + 1) > end || (void *)(old_eth + 1) > end)
		return XDP_DROP;
	__builtin_memcpy(neth->h_source, old_eth->h_dest, 6);
	__builtin_memcpy(neth->h_dest, r->mac, 6);
	neth->h_proto = bpf_htons(ETH_P_IP);
	outer->version = 4;
	outer->ihl = 5;
	outer->tos = 0;
	outer->tot_len = bpf_htons(payload + sizeof(struct iphdr));
	outer->id = 0;
	outer->frag_off = 0;
	outer->ttl = 64;
	outer->protocol = 4; /* IPPROTO_IPIP */
	outer->check = 0;
	outer->saddr = local_addr;
	outer->daddr = r->addr;
	outer->check = ipv4_csum(outer);
	return XDP_TX;
}
