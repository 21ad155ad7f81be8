// Near miss: an index that grows inside a bpf_for loop past the array it indexes afterwards.
#include "corpus.h"
#include "iter.h"

__u64 pair[2];
__u64 out;

SEC("raw_tp/sys_enter")
int grown_index(void *ctx)
{
	int i, idx = 0;

	bpf_for(i, 0, 10)
		if (idx < 5)
			idx++;
	out = pair[idx];
	return 0;
}
