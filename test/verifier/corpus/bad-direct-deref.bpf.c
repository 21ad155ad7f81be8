// Near miss: a tracepoint program dereferences the task pointer directly instead of through
// BPF_CORE_READ/bpf_probe_read (only tp_btf/fentry programs may), so the load is from a
// scalar (the kernel: invalid mem access 'scalar').
#include "corpus.h"

__u32 last_ppid;

SEC("tracepoint/sched/sched_process_fork")
int on_fork(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	last_ppid = task->real_parent->tgid;
	return 0;
}
