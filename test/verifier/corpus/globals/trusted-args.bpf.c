// Global functions taking a kernel struct pointer tagged __arg_trusted (and __arg_nullable):
// the caller must hand over a trusted pointer (the current task, an acquired one), NULL only
// where the function says it copes with NULL. Judged by tsbpf and the kernel (globals.test.ts).
#include "../vmlinux.h"
#include <bpf/bpf_helpers.h>

#define __arg_trusted __attribute__((btf_decl_tag("arg:trusted")))
#define __arg_nullable __attribute__((btf_decl_tag("arg:nullable")))

struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
void bpf_task_release(struct task_struct *p) __ksym;

__noinline int task_ids(struct task_struct *task __arg_trusted)
{
	return task->pid ^ task->tgid;
}

__noinline int task_ids_or_zero(struct task_struct *task __arg_trusted __arg_nullable)
{
	if (!task)
		return 0;
	return task->pid;
}

SEC("tp_btf/task_newtask")
int current_and_acquired(void *ctx)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct task_struct *held = bpf_task_acquire(cur);
	int n = task_ids(cur) + task_ids_or_zero(0) + task_ids_or_zero(held);

	if (held) {
		n += task_ids(held);
		bpf_task_release(held);
	}
	return n & 1;
}

SEC("tp_btf/task_newtask")
int acquired_unchecked(void *ctx)
{
	struct task_struct *held = bpf_task_acquire(bpf_get_current_task_btf());
	int n = task_ids(held);

	if (held)
		bpf_task_release(held);
	return n & 1;
}

SEC("tp_btf/task_newtask")
int null_to_nonnull(void *ctx)
{
	return task_ids(0) & 1;
}

char LICENSE[] SEC("license") = "GPL";
