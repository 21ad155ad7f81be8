// Imitates newer container-aware tracing code built on kfuncs: a cgroup looked up by id and
// released, its descendants walked with the css iterator under bpf_rcu_read_lock, every
// process counted with the task iterator, and a helper's task pointer made typed with
// bpf_rdonly_cast.
#include "corpus.h"

extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task__nullable, unsigned int flags) __weak __ksym;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __weak __ksym;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __weak __ksym;
extern int bpf_iter_css_new(struct bpf_iter_css *it, struct cgroup_subsys_state *start, unsigned int flags) __weak __ksym;
extern struct cgroup_subsys_state *bpf_iter_css_next(struct bpf_iter_css *it) __weak __ksym;
extern void bpf_iter_css_destroy(struct bpf_iter_css *it) __weak __ksym;
extern struct cgroup *bpf_cgroup_from_id(u64 cgid) __ksym;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym;
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

#define TASK_ITER_ALL_PROCS 0
#define CGROUP_ITER_DESCENDANTS_PRE 1

const volatile __u64 root_cgid = 1;
__u64 odd_pids, depth_sum, root_level, cur_pid;

SEC("tp_btf/sched_switch")
int count_odd_pids(u64 *ctx)
{
	struct bpf_iter_task it;
	struct task_struct *t;
	__u64 n = 0;

	bpf_iter_task_new(&it, NULL, TASK_ITER_ALL_PROCS);
	while ((t = bpf_iter_task_next(&it)))
		if (t->pid & 1)
			n++;
	bpf_iter_task_destroy(&it);
	odd_pids = n;
	return 0;
}

SEC("tp_btf/sched_switch")
int root_cgroup_level(u64 *ctx)
{
	struct cgroup *c = bpf_cgroup_from_id(root_cgid);

	if (!c)
		return 0;
	root_level = c->level;
	bpf_cgroup_release(c);
	return 0;
}

SEC("tp_btf/sched_switch")
int sum_descendant_depths(u64 *ctx)
{
	struct cgroup *c = bpf_cgroup_from_id(root_cgid);
	struct cgroup_subsys_state *pos;
	struct bpf_iter_css it;
	__u64 n = 0;

	if (!c)
		return 0;
	bpf_rcu_read_lock();
	bpf_iter_css_new(&it, &c->self, CGROUP_ITER_DESCENDANTS_PRE);
	while ((pos = bpf_iter_css_next(&it)))
		n += pos->cgroup->level;
	bpf_iter_css_destroy(&it);
	bpf_rcu_read_unlock();
	bpf_cgroup_release(c);
	depth_sum = n;
	return 0;
}

SEC("tp_btf/sched_switch")
int typed_current(u64 *ctx)
{
	struct task_struct *t = bpf_rdonly_cast((void *)bpf_get_current_task(), bpf_core_type_id_kernel(struct task_struct));

	cur_pid = t->pid;
	return 0;
}
