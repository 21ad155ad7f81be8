// Near misses with a writable raw tracepoint's buffer: a read before its start, and a write
// through the read-only (raw_tp) form of the same tracepoint, where the argument is a number.
#include "corpus.h"

SEC("raw_tp.w/bpf_test_finish")
int read_before_buffer(struct bpf_raw_tracepoint_args *ctx)
{
	int *err = (int *)ctx->args[0];

	return err[-1];
}

SEC("raw_tp/bpf_test_finish")
int write_readonly_tp(struct bpf_raw_tracepoint_args *ctx)
{
	int *err = (int *)ctx->args[0];

	*err = 0;
	return 0;
}
