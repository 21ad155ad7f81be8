// Imitates a SYN-proxy or conntrack-aware XDP filter: the flow's 4-tuple is looked up in
// netfilter's conntrack table with the bpf_xdp_ct_lookup kfunc. Its tuple argument is
// `struct bpf_sock_tuple`, a union of an IPv4 and an IPv6 struct, the IPv6 addresses arrays:
// the kernel takes such a struct (unions and arrays of scalars nested in it) as plain memory.
#include "corpus.h"

struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *bpf_tuple,
				  __u32 len_tuple, struct bpf_ct_opts *opts, __u32 len_opts) __ksym;
void bpf_ct_release(struct nf_conn *ct) __ksym;

SEC("xdp")
int ct_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct tcphdr *tcp = (void *)(ip + 1);
	struct bpf_sock_tuple tup = {};
	struct bpf_ct_opts opts = { .netns_id = -1, .l4proto = IPPROTO_TCP };
	struct nf_conn *ct;

	if ((void *)(tcp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 || ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	tup.ipv4.saddr = ip->saddr;
	tup.ipv4.daddr = ip->daddr;
	tup.ipv4.sport = tcp->source;
	tup.ipv4.dport = tcp->dest;
	ct = bpf_xdp_ct_lookup(ctx, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));
	if (!ct)
		return tcp->syn ? XDP_PASS : XDP_DROP;
	bpf_ct_release(ct);
	return XDP_PASS;
}
