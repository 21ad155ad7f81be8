// Loops over bpf_for whose results index an array afterwards: the index must keep its value
// across iterations (precision reaches the loop's checkpoints before the next iteration is
// widened), while a plain counter is widened so the loop converges.
#include "corpus.h"
#include "iter.h"

__u64 pair[2];
__u64 out;

SEC("raw_tp/sys_enter")
int last_flag(void *ctx)
{
	int i, idx = 0;

	bpf_for(i, 0, 10)
		idx = 1;
	out = pair[idx];
	return 0;
}

SEC("raw_tp/sys_enter")
int parity_index(void *ctx)
{
	__u32 idx = 0;
	int i;

	bpf_for(i, 0, 10)
		idx = (idx + i) & 1;
	out = pair[idx];
	return 0;
}

SEC("raw_tp/sys_enter")
int long_sum(void *ctx)
{
	__u64 n = 0;
	int i;

	bpf_for(i, 0, 1000)
		n += i;
	out = n;
	return 0;
}
