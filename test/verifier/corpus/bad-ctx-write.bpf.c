// Near miss: a tc program "fixing up" the packet length field of the context, which is
// read-only (the kernel: invalid bpf_context access); only mark, priority, tc_index, cb[] and
// a few others may be written.
#include "corpus.h"

SEC("tc")
int tc_trim(struct __sk_buff *skb)
{
	if (skb->len > 1500)
		skb->len = 1500;
	skb->mark = 1;
	return TC_ACT_OK;
}
