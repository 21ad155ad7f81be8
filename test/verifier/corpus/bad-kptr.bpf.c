// Near misses with kptrs: a task stashed into a plain u64 field of a value that has a kptr
// elsewhere, a cgroup stashed into a task's kptr, a kptr loaded from the map (an RCU
// pointer, not a reference) released as if it were owned, a task taken out of the map
// and put back into an unreferenced (kptr_untrusted) field, which cannot own it: it leaks;
// and a task held by a program-allocated object, overwritten by a plain store.
#include "corpus.h"

#ifndef __kptr
#define __kptr __attribute__((btf_type_tag("kptr")))
#endif
#define __kptr_weak __attribute__((btf_type_tag("kptr_untrusted")))

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern struct cgroup *bpf_cgroup_acquire(struct cgroup *cgrp) __ksym;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym;
extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta) __ksym;

struct holder {
	__u64 since;
	struct task_struct __kptr *task;
};

struct slot {
	__u64 cookie;
	struct task_struct __kptr *task;
	struct task_struct __kptr_weak *seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slot);
} slots SEC(".maps");

static __always_inline struct slot *slot0(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&slots, &key);
}

SEC("tp_btf/task_newtask")
int BPF_PROG(xchg_plain_field, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *t, *old;
	struct slot *s = slot0();

	if (!s)
		return 0;
	t = bpf_task_acquire(task);
	if (!t)
		return 0;
	old = bpf_kptr_xchg((struct task_struct **)&s->cookie, t);
	if (old)
		bpf_task_release(old);
	return 0;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(xchg_wrong_type, struct task_struct *task, u64 clone_flags)
{
	struct cgroup *cg, *old;
	struct slot *s = slot0();

	if (!s)
		return 0;
	cg = bpf_cgroup_acquire(task->cgroups->dfl_cgrp);
	if (!cg)
		return 0;
	old = bpf_kptr_xchg((struct cgroup **)&s->task, cg);
	if (old)
		bpf_cgroup_release(old);
	return 0;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(release_loaded, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *t;
	struct slot *s = slot0();

	if (!s)
		return 0;
	t = s->task;
	if (t)
		bpf_task_release(t);
	return 0;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(leak_into_weak, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *t, *old;
	struct slot *s = slot0();

	if (!s)
		return 0;
	t = bpf_kptr_xchg(&s->task, NULL);
	if (!t)
		return 0;
	old = bpf_kptr_xchg(&s->seen, t);
	if (old)
		bpf_task_release(old);
	return 0;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(overwrite_held_task, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *t, *old;
	struct holder *h;

	h = bpf_obj_new_impl(bpf_core_type_id_local(struct holder), NULL);
	if (!h)
		return 0;
	t = bpf_task_acquire(task);
	if (!t) {
		bpf_obj_drop_impl(h, NULL);
		return 0;
	}
	old = bpf_kptr_xchg(&h->task, t);
	if (old)
		bpf_task_release(old);
	*(volatile __u64 *)&h->task = 0;
	bpf_obj_drop_impl(h, NULL);
	return 0;
}
