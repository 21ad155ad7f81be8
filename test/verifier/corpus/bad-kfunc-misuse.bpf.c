// Near misses with kfuncs and open-coded iterators, one mistake per program, as they show up
// when tracing code moves from helpers to kfuncs.
#include "corpus.h"
#include "iter.h"

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

__u64 out;

/* RCU read sections do not nest. */
SEC("tp_btf/sched_switch")
int rcu_nested(u64 *ctx)
{
	bpf_rcu_read_lock();
	bpf_rcu_read_lock();
	bpf_rcu_read_unlock();
	bpf_rcu_read_unlock();
	return 0;
}

/* An unlock on a path that never took the lock. */
SEC("tp_btf/sched_switch")
int rcu_unmatched(u64 *ctx)
{
	if (ctx[0])
		bpf_rcu_read_lock();
	bpf_rcu_read_unlock();
	return 0;
}

/* An early return inside the read section. */
SEC("tp_btf/sched_switch")
int rcu_left_open(u64 *ctx)
{
	struct task_struct *next = (void *)ctx[2];

	bpf_rcu_read_lock();
	if (next->pid == 0)
		return 0;
	out = next->real_parent->tgid;
	bpf_rcu_read_unlock();
	return 0;
}

/* The iterator's state is not data the program may read. */
SEC("tp_btf/sched_switch")
int iter_peek(u64 *ctx)
{
	struct bpf_iter_num it;

	bpf_iter_num_new(&it, 0, 4);
	out = *(volatile __u64 *)&it;
	bpf_iter_num_destroy(&it);
	return 0;
}

/* A second bpf_iter_num_new on a live iterator. */
SEC("tp_btf/sched_switch")
int iter_renew(u64 *ctx)
{
	struct bpf_iter_num it;

	bpf_iter_num_new(&it, 0, 4);
	bpf_iter_num_new(&it, 0, 8);
	bpf_iter_num_destroy(&it);
	return 0;
}

/* bpf_iter_num_next on an iterator never made. */
SEC("tp_btf/sched_switch")
int iter_uninit(u64 *ctx)
{
	struct bpf_iter_num it;

	out = (long)bpf_iter_num_next(&it);
	return 0;
}

/* A store over the iterator's slots destroys it for the verifier. */
SEC("tp_btf/sched_switch")
int iter_clobbered(u64 *ctx)
{
	struct bpf_iter_num it;

	bpf_iter_num_new(&it, 0, 4);
	*(volatile __u64 *)&it = 0;
	bpf_iter_num_destroy(&it);
	return 0;
}

/* Releasing a task the program never acquired. */
SEC("tp_btf/sched_switch")
int release_borrowed(u64 *ctx)
{
	bpf_task_release((void *)ctx[1]);
	return 0;
}
