// Near misses with dynptr slices: a slice used before its NULL check, and a read past the
// slice's size (the buffer is smaller than the header read through it).
#include "corpus.h"
#include "dynptr.h"

__u64 seen;

SEC("tc")
int slice_unchecked(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;
	struct ethhdr buf, *eth;

	bpf_dynptr_from_skb(skb, 0, &ptr);
	eth = bpf_dynptr_slice(&ptr, 0, &buf, sizeof(buf));
	seen += eth->h_proto;
	return TC_ACT_OK;
}

SEC("tc")
int slice_too_short(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;
	__u8 buf[14];
	struct iphdr *ip;

	bpf_dynptr_from_skb(skb, 0, &ptr);
	ip = bpf_dynptr_slice(&ptr, 14, buf, sizeof(buf));
	if (ip)
		seen += ip->daddr;
	return TC_ACT_OK;
}
