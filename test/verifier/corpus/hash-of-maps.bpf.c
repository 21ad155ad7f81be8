// Imitates a per-tenant policy table: a hash of maps keyed by cgroup id, each inner map an
// LPM trie of allowed IPv4 prefixes, consulted from cgroup_skb egress.
#include "corpus.h"

struct lpm_v4 { __u32 prefixlen; __be32 addr; };

struct allow_trie {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(struct lpm_v4)); /* the struct is only a local: BTF would have a fwd */
	__uint(value_size, sizeof(__u8));
} tenant0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 64);
	__type(key, __u64);
	__array(values, struct allow_trie);
} tenants SEC(".maps");

SEC("cgroup_skb/egress")
int tenant_policy(struct __sk_buff *skb)
{
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 1;
	__u64 cg = bpf_skb_cgroup_id(skb);
	void *trie = bpf_map_lookup_elem(&tenants, &cg);
	if (!trie)
		return 1; /* no policy */
	__be32 daddr;
	if (bpf_skb_load_bytes(skb, offsetof(struct iphdr, daddr), &daddr, sizeof(daddr)) < 0)
		return 0;
	struct lpm_v4 key = { .prefixlen = 32, .addr = daddr };
	return bpf_map_lookup_elem(trie, &key) ? 1 : 0;
}
