// Near miss: a ring buffer record reserved, then an early return on a filter path added
// later forgets to discard it (the kernel: Unreleased reference).
#include "corpus.h"

struct ev { __u32 pid; char comm[TASK_COMM_LEN]; };

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

__u32 only_pid; /* set at run time, so the filter path is live */

SEC("tracepoint/syscalls/sys_enter_kill")
int on_kill(struct trace_event_raw_sys_enter *ctx)
{
	struct ev *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	if (only_pid && e->pid != only_pid)
		return 0; /* leaks e */
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
