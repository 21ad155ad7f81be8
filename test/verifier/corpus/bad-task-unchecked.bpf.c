// Near miss: bpf_task_from_pid may return NULL, and the result goes to a field read unchecked.
#include "corpus.h"

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

__u32 init_tgid;

SEC("tp_btf/sched_switch")
int BPF_PROG(init_probe, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct task_struct *t = bpf_task_from_pid(1);

	init_tgid = t->tgid;
	if (t)
		bpf_task_release(t);
	return 0;
}
