// Near misses with pointers walked from trusted ones: a member the kernel does not list as
// keeping its parent's trust gives an untrusted pointer, which no kfunc takes (here
// task->parent, unlike task->real_parent, and an skb's next buffer); members it lists
// (real_parent, cgroups->dfl_cgrp) stay usable inside the RCU section.
#include "corpus.h"
#include "dynptr.h"

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern struct cgroup *bpf_cgroup_acquire(struct cgroup *cgrp) __ksym;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym;

__u64 seen;

SEC("tp_btf/task_newtask")
int BPF_PROG(acquire_parent, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *p = bpf_task_acquire(task->parent);

	if (p) {
		seen += p->pid;
		bpf_task_release(p);
	}
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(dynptr_next_skb, struct sk_buff *skb, void *location)
{
	struct bpf_dynptr ptr;

	if (bpf_dynptr_from_skb((struct __sk_buff *)skb->next, 0, &ptr))
		return 0;
	seen++;
	return 0;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(acquire_listed, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *p = bpf_task_acquire(task->real_parent);
	struct cgroup *c = bpf_cgroup_acquire(task->cgroups->dfl_cgrp);

	if (p) {
		seen += p->pid;
		bpf_task_release(p);
	}
	if (c) {
		seen += c->level;
		bpf_cgroup_release(c);
	}
	/* The near miss: the parent's parent through a member that is not listed. */
	p = bpf_task_acquire(task->real_parent->parent);
	if (p)
		bpf_task_release(p);
	return 0;
}
