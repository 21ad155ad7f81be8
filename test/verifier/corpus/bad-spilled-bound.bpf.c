// Near miss: the length is bounded in a 32-bit copy, but the 64-bit value written to and read
// back from a stack slot through a volatile is what sizes the read (the kernel: R2 unbounded
// memory access / min value is negative).
#include "corpus.h"

struct buf { char data[64]; };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct buf);
} scratch SEC(".maps");

SEC("raw_tp/sys_enter")
int copy_arg(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 zero = 0;
	struct buf *b = bpf_map_lookup_elem(&scratch, &zero);
	if (!b)
		return 0;
	volatile __s64 len = (__s64)ctx->args[1];
	int checked = len;
	if (checked > 64)
		return 0;
	/* checked is bounded above only, and len, re-read from the stack, not at all */
	bpf_probe_read_kernel(b->data, len, (void *)ctx->args[0]);
	return 0;
}
