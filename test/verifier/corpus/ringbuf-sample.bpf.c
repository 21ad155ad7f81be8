// Imitates a sampling profiler's record path: reserve a ring buffer record first, fill it,
// and discard it when the stack capture fails or the sample is filtered out afterwards.
#include "corpus.h"

#define MAX_STACK 32

struct stack_sample { __u32 pid; __s32 ustack_len; __u64 ustack[MAX_STACK]; };

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 512 * 1024);
} samples SEC(".maps");

const volatile __u32 skip_pid = 0;
__u64 discarded;

SEC("perf_event")
int sample_stack(struct bpf_perf_event_data *ctx)
{
	struct stack_sample *s = bpf_ringbuf_reserve(&samples, sizeof(*s), 0);
	if (!s)
		return 0;
	s->pid = bpf_get_current_pid_tgid() >> 32;
	s->ustack_len = bpf_get_stack(ctx, s->ustack, sizeof(s->ustack), BPF_F_USER_STACK);
	if (s->ustack_len <= 0 || s->pid == skip_pid) {
		bpf_ringbuf_discard(s, BPF_RB_NO_WAKEUP);
		__sync_fetch_and_add(&discarded, 1);
		return 0;
	}
	bpf_ringbuf_submit(s, 0);
	return 0;
}
