// Near miss: a bpf_loop callback returning a count instead of 0 (continue) or 1 (stop)
// (the kernel: At callback return the register R0 has ... should have been in [0, 1]).
#include "corpus.h"

struct acc { __u64 sum; };

static int add_one(__u32 i, struct acc *a)
{
	a->sum += i;
	return i & 3;
}

__u64 result;

SEC("raw_tp/sys_enter")
int loop_sum(void *ctx)
{
	struct acc a = {};
	bpf_loop(16, add_one, &a, 0);
	result = a.sum;
	return 0;
}
