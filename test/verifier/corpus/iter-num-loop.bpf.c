// Imitates code using the open-coded numeric iterator (libbpf's bpf_for) to sum a per-CPU
// array without unrolling: bpf_iter_num_new/next/destroy kfuncs.
#include "corpus.h"

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
} buckets SEC(".maps");

__u64 sum;

SEC("raw_tp/sys_enter")
int sum_buckets(void *ctx)
{
	struct bpf_iter_num it;
	int *i;
	__u64 s = 0;
	bpf_iter_num_new(&it, 0, 128);
	while ((i = bpf_iter_num_next(&it))) {
		__u32 k = *i;
		__u64 *v = bpf_map_lookup_elem(&buckets, &k);
		if (v)
			s += *v;
	}
	bpf_iter_num_destroy(&it);
	sum = s;
	return 0;
}
