// Near miss: the iterator's value used as an index without bpf_for's bounds check (the
// kernel knows nothing of what bpf_iter_num_next's int holds).
#include "corpus.h"
#include "iter.h"

__u64 slots[64];
__u64 total;

SEC("raw_tp/sched_switch")
int fold_unchecked(void *ctx)
{
	struct bpf_iter_num it;
	int *i;
	__u64 s = 0;

	bpf_iter_num_new(&it, 0, 64);
	while ((i = bpf_iter_num_next(&it)))
		s += slots[*i & 0xff];
	bpf_iter_num_destroy(&it);
	total = s;
	return 0;
}
