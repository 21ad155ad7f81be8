// Imitates test-run hooks on a writable raw tracepoint (raw_tp.w): the first argument is the
// tracepoint's buffer, read and written in place (bpf_test_finish's error code).
#include "corpus.h"

__u64 failures;

SEC("raw_tp.w/bpf_test_finish")
int clear_test_error(struct bpf_raw_tracepoint_args *ctx)
{
	int *err = (int *)ctx->args[0];

	if (*err)
		failures++;
	*err = 0;
	return 0;
}
