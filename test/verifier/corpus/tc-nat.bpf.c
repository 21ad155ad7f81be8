// Imitates a Cilium-style tc NAT: read headers with bpf_skb_load_bytes, rewrite the
// destination with bpf_skb_store_bytes and fix both checksums with the csum_replace helpers,
// then bpf_redirect to the egress device from a config map.
#include "corpus.h"

#define IP_OFF sizeof(struct ethhdr)
#define DADDR_OFF (IP_OFF + offsetof(struct iphdr, daddr))
#define CSUM_OFF (IP_OFF + offsetof(struct iphdr, check))
#define TCP_CSUM_OFF (IP_OFF + sizeof(struct iphdr) + offsetof(struct tcphdr, check))
#define BPF_F_PSEUDO_HDR_FLAG (1ULL << 4)

struct nat_entry { __be32 to; __u32 ifindex; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be32);
	__type(value, struct nat_entry);
} dnat SEC(".maps");

SEC("tc")
int tc_dnat(struct __sk_buff *skb)
{
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	struct iphdr ip;
	if (bpf_skb_load_bytes(skb, IP_OFF, &ip, sizeof(ip)) < 0)
		return TC_ACT_OK;
	if (ip.ihl != 5 || ip.protocol != IPPROTO_TCP)
		return TC_ACT_OK;
	struct nat_entry *n = bpf_map_lookup_elem(&dnat, &ip.daddr);
	if (!n)
		return TC_ACT_OK;
	__be32 old = ip.daddr, new = n->to;
	__u32 ifindex = n->ifindex;
	bpf_l4_csum_replace(skb, TCP_CSUM_OFF, old, new, BPF_F_PSEUDO_HDR_FLAG | sizeof(new));
	bpf_l3_csum_replace(skb, CSUM_OFF, old, new, sizeof(new));
	if (bpf_skb_store_bytes(skb, DADDR_OFF, &new, sizeof(new), 0) < 0)
		return TC_ACT_SHOT;
	skb->mark = 0x100;
	return ifindex ? bpf_redirect(ifindex, 0) : TC_ACT_OK;
}
