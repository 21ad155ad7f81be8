// Near miss: an lwt_seg6local program rewriting a byte of the packet in place. Its packet is
// readable directly but written only through bpf_lwt_seg6_store_bytes.
#include "corpus.h"

SEC("lwt_seg6local")
int mark_hop(struct __sk_buff *skb)
{
	__u8 *data = (void *)(long)skb->data;
	__u8 *data_end = (void *)(long)skb->data_end;

	if (data + 8 > data_end)
		return BPF_DROP;
	data[7] = data[7] - 1;
	return BPF_OK;
}
