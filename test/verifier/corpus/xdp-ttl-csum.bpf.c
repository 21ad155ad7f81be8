// Imitates an XDP router fast path: decrement the TTL with an incremental IPv4 checksum
// update (RFC 1624), and rewrite the source address with bpf_csum_diff before XDP_TX.
#include "xdp-parse.h"

const volatile __be32 snat_addr = 0;

static __always_inline __u16 csum_fold(__u32 csum)
{
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	return (__u16)~csum;
}

static __always_inline void ttl_decrement(struct iphdr *ip)
{
	__u32 check = ip->check;
	check += bpf_htons(0x0100);
	ip->check = (__u16)(check + (check >= 0xffff));
	ip->ttl--;
}

SEC("xdp")
int xdp_router(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct hdr_cursor c = { data };
	struct ethhdr *eth;
	if (parse_ethhdr(&c, end, &eth) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = c.pos;
	if ((void *)(ip + 1) > end)
		return XDP_DROP;
	if (ip->ttl <= 1)
		return XDP_PASS; /* let the stack send the ICMP error */
	ttl_decrement(ip);
	if (snat_addr) {
		__be32 old = ip->saddr, new = snat_addr;
		__s64 diff = bpf_csum_diff(&old, 4, &new, 4, ~((__u32)ip->check) & 0xffff);
		if (diff < 0)
			return XDP_ABORTED;
		ip->saddr = new;
		ip->check = csum_fold((__u32)diff);
	}
	__u8 mac[6];
	__builtin_memcpy(mac, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, mac, 6);
	return XDP_TX;
}
