// Imitates Cilium's local-delivery check: look a TCP socket up by the packet's tuple with
// bpf_skc_lookup_tcp, read its state, and release the reference on every path.
#include "xdp-parse.h"

#define BPF_F_CURRENT_NETNS (-1L)

__u64 local_hits;

SEC("tc")
int tc_local(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 || ip->protocol != IPPROTO_TCP)
		return TC_ACT_OK;
	struct tcphdr *tcp = (void *)(ip + 1);
	if ((void *)(tcp + 1) > end)
		return TC_ACT_OK;
	struct bpf_sock_tuple t = {};
	t.ipv4.saddr = ip->saddr;
	t.ipv4.daddr = ip->daddr;
	t.ipv4.sport = tcp->source;
	t.ipv4.dport = tcp->dest;
	struct bpf_sock *sk = bpf_skc_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return TC_ACT_OK;
	if (sk->state != BPF_TCP_LISTEN)
		__sync_fetch_and_add(&local_hits, 1);
	bpf_sk_release(sk);
	return TC_ACT_OK;
}
