// Near misses with skb dynptrs and clones: a header slice kept across bpf_skb_pull_data
// (which may move the packet), a writable slice in a program type that may not write the
// packet, and a clone of a ring buffer record used after the record was submitted.
#include "corpus.h"
#include "dynptr.h"

extern void *bpf_dynptr_slice_rdwr(const struct bpf_dynptr *p, u32 offset, void *buffer__opt, u32 buffer__szk) __ksym;
extern int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

SEC("tc")
int slice_across_pull(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;
	struct ethhdr buf, *eth;

	if (bpf_dynptr_from_skb(skb, 0, &ptr))
		return TC_ACT_OK;
	eth = bpf_dynptr_slice(&ptr, 0, &buf, sizeof(buf));
	if (!eth)
		return TC_ACT_OK;
	bpf_skb_pull_data(skb, 64);
	return eth->h_proto == bpf_htons(ETH_P_IP) ? TC_ACT_OK : TC_ACT_SHOT;
}

SEC("cgroup_skb/egress")
int rdwr_slice_egress(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;
	struct ethhdr buf, *eth;

	if (bpf_dynptr_from_skb(skb, 0, &ptr))
		return 1;
	eth = bpf_dynptr_slice_rdwr(&ptr, 0, &buf, sizeof(buf));
	if (eth)
		eth->h_proto = 0;
	return 1;
}

SEC("raw_tp/sys_enter")
int clone_after_submit(void *ctx)
{
	struct bpf_dynptr rec, view;
	__u64 v = 0;

	bpf_ringbuf_reserve_dynptr(&events, 16, 0, &rec);
	bpf_dynptr_clone(&rec, &view);
	bpf_ringbuf_submit_dynptr(&rec, 0);
	bpf_dynptr_read(&v, sizeof(v), &view, 8, 0);
	return v;
}
