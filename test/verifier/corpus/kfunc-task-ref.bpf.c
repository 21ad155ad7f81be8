// Imitates tracing code that keeps kernel objects alive through kfuncs: a forked child's task
// acquired and released, a task looked up by pid, a parent read under bpf_rcu_read_lock.
#include "corpus.h"

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} parent_of SEC(".maps");

const volatile __u32 watched_pid = 1;
__u64 seen;

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	struct task_struct *t = bpf_task_acquire(child);
	__u32 pid, ppid;

	if (!t)
		return 0;
	pid = t->pid;
	ppid = parent->tgid;
	bpf_map_update_elem(&parent_of, &pid, &ppid, BPF_ANY);
	bpf_task_release(t);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct task_struct *w = bpf_task_from_pid(watched_pid);
	__u32 ppid = 0;

	if (!w)
		return 0;
	bpf_rcu_read_lock();
	struct task_struct *p = w->real_parent;
	if (p)
		ppid = p->tgid;
	bpf_rcu_read_unlock();
	if (ppid)
		seen++;
	bpf_task_release(w);
	return 0;
}
