// Imitates tools reading a tracepoint's __data_loc string: sched_process_exec's filename sits
// at an offset given by the low 16 bits of the field, read with bpf_probe_read_kernel_str.
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} names SEC(".maps");

struct exec_name { __u32 pid; char filename[128]; };

SEC("tracepoint/sched/sched_process_exec")
int exec_name(struct trace_event_raw_sched_process_exec *ctx)
{
	struct exec_name *n = bpf_ringbuf_reserve(&names, sizeof(*n), 0);
	if (!n)
		return 0;
	n->pid = ctx->pid;
	unsigned off = ctx->__data_loc_filename & 0xffff;
	bpf_probe_read_kernel_str(n->filename, sizeof(n->filename), (void *)ctx + off);
	bpf_ringbuf_submit(n, 0);
	return 0;
}
