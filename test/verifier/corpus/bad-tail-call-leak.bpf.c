// Near miss: a record reserved for the next stage, then a tail call made while the reservation
// is still held (the kernel: tail_call would lead to reference leak).
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} next_stage SEC(".maps");

SEC("raw_tp/sys_enter")
int stage0(void *ctx)
{
	__u64 *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	*e = bpf_ktime_get_ns();
	bpf_tail_call(ctx, &next_stage, 0);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
