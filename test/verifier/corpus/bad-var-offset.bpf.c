// Near miss: a DSCP-indexed table read with the index taken straight from the packet, one
// bit too wide for the array in the map value (the kernel: value is outside of the allowed
// memory range).
#include "corpus.h"

struct prio_table { __u8 prio[32]; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct prio_table);
} table SEC(".maps");

SEC("tc")
int tc_prio(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > end)
		return TC_ACT_OK;
	__u32 zero = 0;
	struct prio_table *t = bpf_map_lookup_elem(&table, &zero);
	if (!t)
		return TC_ACT_OK;
	__u32 dscp = ip->tos >> 2; /* 0..63, the table has 32 */
	skb->priority = t->prio[dscp];
	return TC_ACT_OK;
}
