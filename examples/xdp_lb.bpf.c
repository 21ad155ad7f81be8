/* An XDP load balancer in the spirit of Katran: packets to the virtual IP 10.0.0.100:80
 * are sent to a backend chosen by a hash of their flow, encapsulated in IPIP (a new outer
 * IPv4 header from bpf_xdp_adjust_head, its checksum computed) and bounced back out with
 * XDP_TX. Everything else passes. Counts packets per backend. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define VIP 0x0a000064 /* 10.0.0.100 */
#define VIP_PORT 80
#define LB_ADDR 0x0a0000fe /* 10.0.0.254, the balancer's own address */
#define BACKENDS 4

/* The backends' addresses, 10.1.0.1 to 10.1.0.4 (host order). */
static const __u32 backends[BACKENDS] = { 0x0a010001, 0x0a010002, 0x0a010003, 0x0a010004 };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BACKENDS);
	__type(key, __u32);
	__type(value, __u64);
} per_backend SEC(".maps");

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static __always_inline __u16 ip_checksum(struct iphdr *ip)
{
	__u16 *w = (__u16 *)ip;
	__u32 sum = 0;
#pragma unroll
	for (int i = 0; i < sizeof(*ip) / 2; i++)
		sum += w[i];
	return csum_fold(sum);
}

SEC("xdp")
int balance(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, *neweth;
	struct iphdr *ip = (void *)(eth + 1), *outer;
	__u16 *ports;
	__u32 hash, backend, inner_len;
	__u64 *n;
	unsigned char mac[ETH_ALEN];

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return XDP_PASS;
	if (ip->daddr != bpf_htonl(VIP) || (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP))
		return XDP_PASS;
	ports = (void *)(ip + 1);
	if ((void *)(ports + 2) > data_end || ports[1] != bpf_htons(VIP_PORT))
		return XDP_PASS;

	/* A flow always reaches the same backend. */
	hash = ip->saddr * 2654435761u ^ ((__u32)ports[0] << 16 | ports[1]) * 40503u ^ ip->protocol;
	backend = (hash >> 16) % BACKENDS;
	inner_len = bpf_ntohs(ip->tot_len);
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	neweth = data;
	outer = (void *)(neweth + 1);
	if ((void *)(outer + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(neweth->h_source, ((struct ethhdr *)((void *)neweth + sizeof(struct iphdr)))->h_dest, ETH_ALEN);
	__builtin_memcpy(neweth->h_dest, mac, ETH_ALEN);
	neweth->h_proto = bpf_htons(ETH_P_IP);
	outer->version = 4;
	outer->ihl = 5;
	outer->tos = 0;
	outer->tot_len = bpf_htons(inner_len + sizeof(struct iphdr));
	outer->id = 0;
	outer->frag_off = 0;
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = bpf_htonl(LB_ADDR);
	outer->daddr = bpf_htonl(backends[backend]);
	outer->check = ip_checksum(outer);

	n = bpf_map_lookup_elem(&per_backend, &backend);
	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
