// A task kept in a map between events, as schedulers and process trackers keep the task
// they are watching: acquired on creation and stashed with bpf_kptr_xchg (the previous one
// released), then taken out again on the next event, used, and released; a plain load of the
// kptr inside the (non-sleepable) program is an RCU pointer that RCU kfuncs take. A third
// program keeps the task in an object it allocates (bpf_obj_new) and stashes that object in
// the map: a local kptr holding a kernel one.
#include "corpus.h"

#ifndef __kptr
#define __kptr __attribute__((btf_type_tag("kptr")))
#endif

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern struct cgroup *bpf_task_get_cgroup1(struct task_struct *task, int hierarchy_id) __ksym;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym;
extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta) __ksym;

struct parked {
	__u64 since;
	struct task_struct __kptr *task;
};

struct parking {
	struct parked __kptr *spot;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct parking);
} lot SEC(".maps");

struct watched {
	__u64 since;
	struct task_struct __kptr *task;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct watched);
} watch SEC(".maps");

__u64 switches;

SEC("tp_btf/task_newtask")
int BPF_PROG(stash_task, struct task_struct *task, u64 clone_flags)
{
	struct watched init = {}, *w;
	struct task_struct *t, *old;
	__u32 key = 0;

	bpf_map_update_elem(&watch, &key, &init, BPF_NOEXIST);
	w = bpf_map_lookup_elem(&watch, &key);
	if (!w)
		return 0;
	t = bpf_task_acquire(task);
	if (!t)
		return 0;
	w->since = bpf_ktime_get_ns();
	old = bpf_kptr_xchg(&w->task, t);
	if (old)
		bpf_task_release(old);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(unstash_task, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct task_struct *t, *peek;
	struct cgroup *cg;
	struct watched *w;
	__u32 key = 0;

	w = bpf_map_lookup_elem(&watch, &key);
	if (!w)
		return 0;
	// A plain load: an RCU pointer (or NULL), not a reference.
	peek = w->task;
	if (peek && peek->pid == next->pid) {
		cg = bpf_task_get_cgroup1(peek, 1);
		if (cg)
			bpf_cgroup_release(cg);
		switches++;
	}
	if (bpf_ktime_get_ns() - w->since < 1000000000ULL)
		return 0;
	t = bpf_kptr_xchg(&w->task, NULL);
	if (!t)
		return 0;
	switches += t->pid;
	bpf_task_release(t);
	return 0;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(park_task, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *t, *old;
	struct parked *p, *prev;
	struct parking *lotv;
	__u32 key = 0;

	lotv = bpf_map_lookup_elem(&lot, &key);
	if (!lotv)
		return 0;
	p = bpf_obj_new_impl(bpf_core_type_id_local(struct parked), NULL);
	if (!p)
		return 0;
	p->since = bpf_ktime_get_ns();
	t = bpf_task_acquire(task);
	if (t) {
		old = bpf_kptr_xchg(&p->task, t);
		if (old)
			bpf_task_release(old);
	}
	prev = bpf_kptr_xchg(&lotv->spot, p);
	if (prev)
		bpf_obj_drop_impl(prev, NULL);
	return 0;
}
