// Imitates tools that fold a histogram or a ring of slots with libbpf's bpf_for instead of an
// unrolled loop: the index comes back from the iterator and is bounds-checked by the macro.
#include "corpus.h"
#include "iter.h"

#define NR_SLOTS 64

__u64 slots[NR_SLOTS];
__u64 total;
__u32 busiest;

SEC("raw_tp/sched_switch")
int fold_slots(void *ctx)
{
	__u64 s = 0, max = 0;
	__u32 at = 0;
	int i;

	bpf_for(i, 0, NR_SLOTS) {
		__u64 v = slots[i];
		s += v;
		if (v > max) {
			max = v;
			at = i;
		}
	}
	total = s;
	busiest = at;
	return 0;
}

SEC("raw_tp/sched_switch")
int clear_stack_buf(void *ctx)
{
	char buf[48];
	int i;

	bpf_for(i, 0, sizeof(buf))
		buf[i] = i & 0x7f;
	bpf_probe_read_kernel(&total, sizeof(total), buf);
	return 0;
}
