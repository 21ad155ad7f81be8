// Imitates a stack sampler (profile, offcputime with raw stacks): bpf_get_stack fills a
// per-CPU buffer and its return value, the bytes written (or a negative errno), is the size
// handed on to bpf_perf_event_output and to a second copy. The kernel bounds that return
// value by the buffer size it was given; the same for bpf_probe_read_kernel_str.
#include "corpus.h"

#define MAX_DEPTH 32

struct stack_sample {
	__u64 ips[MAX_DEPTH];
	char comm[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_sample);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

SEC("raw_tracepoint/sched_switch")
int sample_stack(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u32 zero = 0;
	struct stack_sample *s = bpf_map_lookup_elem(&scratch, &zero);
	long n;

	if (!s)
		return 0;
	n = bpf_get_stack(ctx, s->ips, sizeof(s->ips), BPF_F_USER_STACK);
	if (n <= 0)
		return 0;
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, s->ips, n);
	n = bpf_probe_read_kernel_str(s->comm, sizeof(s->comm), BPF_CORE_READ(task, comm));
	if (n < 0)
		return 0;
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, s->comm, n);
	return 0;
}
