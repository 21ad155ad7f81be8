// Imitates a bpftool-style task iterator: print each task's pid and command into the
// seq_file with bpf_seq_printf, skipping kernel threads.
#include "corpus.h"

#define PF_KTHREAD 0x00200000

SEC("iter/task")
int dump_tasks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	if (!task)
		return 0;
	if (task->flags & PF_KTHREAD)
		return 0;
	__u64 args[2] = { task->pid, (__u64)task->comm };
	bpf_seq_printf(seq, "%d %s\n", sizeof("%d %s\n"), args, sizeof(args));
	return 0;
}
