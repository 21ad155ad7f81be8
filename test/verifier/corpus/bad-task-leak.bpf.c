// Near miss: an acquired task is not released on the filtered path.
#include "corpus.h"

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

__u64 kthreads;

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork_leak, struct task_struct *parent, struct task_struct *child)
{
	struct task_struct *t = bpf_task_acquire(child);

	if (!t)
		return 0;
	if (t->flags & 0x00200000 /* PF_KTHREAD */)
		return 0;
	kthreads++;
	bpf_task_release(t);
	return 0;
}
