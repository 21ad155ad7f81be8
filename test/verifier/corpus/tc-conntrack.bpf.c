// Imitates a Cilium-style conntrack lookup on tc ingress: a 5-tuple key built from the direct
// packet, an LRU hash of entries with timestamps and counters, creation on SYN, and the
// reverse tuple tried on a miss.
#include "xdp-parse.h"

struct ct_key { __be32 saddr, daddr; __be16 sport, dport; __u8 proto; __u8 pad[3]; };
struct ct_entry { __u64 last_seen; __u64 packets, bytes; __u32 flags; __u32 pad; };

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ct_key);
	__type(value, struct ct_entry);
} ct SEC(".maps");

const volatile bool drop_untracked = false;

static __always_inline void ct_touch(struct ct_entry *e, __u32 len)
{
	e->last_seen = bpf_ktime_get_ns();
	__sync_fetch_and_add(&e->packets, 1);
	__sync_fetch_and_add(&e->bytes, len);
}

SEC("tc")
int ct_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct hdr_cursor c = { data };
	struct ethhdr *eth;
	if (parse_ethhdr(&c, end, &eth) != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	struct iphdr *ip = c.pos;
	if ((void *)(ip + 1) > end)
		return TC_ACT_SHOT;
	__u32 hlen = ip->ihl * 4;
	if (hlen < sizeof(*ip) || ip->protocol != IPPROTO_TCP)
		return TC_ACT_OK;
	struct tcphdr *tcp = (void *)ip + hlen;
	if ((void *)(tcp + 1) > end)
		return TC_ACT_SHOT;
	struct ct_key k = { .saddr = ip->saddr, .daddr = ip->daddr, .sport = tcp->source, .dport = tcp->dest, .proto = IPPROTO_TCP };
	struct ct_entry *e = bpf_map_lookup_elem(&ct, &k);
	if (e) {
		ct_touch(e, skb->len);
		return TC_ACT_OK;
	}
	struct ct_key r = { .saddr = k.daddr, .daddr = k.saddr, .sport = k.dport, .dport = k.sport, .proto = IPPROTO_TCP };
	e = bpf_map_lookup_elem(&ct, &r);
	if (e) {
		ct_touch(e, skb->len);
		return TC_ACT_OK;
	}
	if (tcp->syn && !tcp->ack) {
		struct ct_entry n = { .last_seen = bpf_ktime_get_ns(), .packets = 1, .bytes = skb->len };
		bpf_map_update_elem(&ct, &k, &n, BPF_NOEXIST);
		return TC_ACT_OK;
	}
	return drop_untracked ? TC_ACT_SHOT : TC_ACT_OK;
}
