// Imitates per-cgroup traffic accounting (as container runtimes do): cgroup_skb ingress and
// egress count bytes per protocol, read the IP header with bpf_skb_load_bytes, and drop
// egress to one blocked address.
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} bytes_by_proto SEC(".maps");

const volatile __be32 blocked = 0;

static __always_inline int account(struct __sk_buff *skb, bool egress)
{
	struct iphdr ip;
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 1;
	if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0)
		return 1;
	__u32 proto = ip.protocol;
	__u64 *b = bpf_map_lookup_elem(&bytes_by_proto, &proto);
	if (b)
		*b += skb->len;
	if (egress && blocked && ip.daddr == blocked)
		return 0;
	return 1;
}

SEC("cgroup_skb/ingress")
int count_ingress(struct __sk_buff *skb) { return account(skb, false); }

SEC("cgroup_skb/egress")
int count_egress(struct __sk_buff *skb) { return account(skb, true); }
