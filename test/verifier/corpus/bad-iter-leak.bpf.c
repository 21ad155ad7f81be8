// Near miss: an early return leaves the iterator alive (no bpf_iter_num_destroy on that path).
#include "corpus.h"
#include "iter.h"

__u64 slots[64];
__u64 total;

SEC("raw_tp/sched_switch")
int fold_early_out(void *ctx)
{
	struct bpf_iter_num it;
	int *i;

	bpf_iter_num_new(&it, 0, 64);
	while ((i = bpf_iter_num_next(&it))) {
		if (*i < 0 || *i >= 64)
			break;
		if (slots[*i] == 0)
			return 1;
		total += slots[*i];
	}
	bpf_iter_num_destroy(&it);
	return 0;
}
