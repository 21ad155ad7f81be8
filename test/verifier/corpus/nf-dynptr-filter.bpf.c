// A netfilter hook program (BPF_PROG_TYPE_NETFILTER, as bpf-based firewalls attach at
// NF_INET_LOCAL_IN) reading the packet through a dynptr made from the ctx's trusted sk_buff,
// and the hook state's protocol family: drops IPv4 packets with options.
#include "corpus.h"
#include "dynptr.h"

#define NF_DROP 0
#define NF_ACCEPT 1
#define NFPROTO_IPV4 2

__u64 dropped;

SEC("netfilter")
int drop_ip_options(struct bpf_nf_ctx *ctx)
{
	struct __sk_buff *skb = (struct __sk_buff *)ctx->skb;
	const struct nf_hook_state *state = ctx->state;
	struct iphdr buf, *iph;
	struct bpf_dynptr pkt;

	if (state->pf != NFPROTO_IPV4 || bpf_dynptr_from_skb(skb, 0, &pkt))
		return NF_ACCEPT;
	iph = bpf_dynptr_slice(&pkt, 0, &buf, sizeof(buf));
	if (!iph || iph->ihl <= 5)
		return NF_ACCEPT;
	dropped++;
	return NF_DROP;
}
