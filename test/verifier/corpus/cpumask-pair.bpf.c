// Two acquired objects made together and released each under its own NULL check (as
// schedulers and tracers that build CPU masks do): once an acquired pointer has been found
// non-NULL, a later NULL check of it is decided (a referenced pointer is not NULL), so the
// path that would skip its release does not exist.
#include "corpus.h"

extern struct bpf_cpumask *bpf_cpumask_create(void) __ksym;
extern void bpf_cpumask_release(struct bpf_cpumask *cpumask) __ksym;
extern void bpf_cpumask_set_cpu(u32 cpu, struct bpf_cpumask *cpumask) __ksym;

__u64 built;

SEC("tp_btf/task_newtask")
int BPF_PROG(mask_pair, struct task_struct *task, u64 clone_flags)
{
	struct bpf_cpumask *a, *b;

	a = bpf_cpumask_create();
	b = bpf_cpumask_create();
	if (!a || !b)
		goto out;
	bpf_cpumask_set_cpu(0, a);
	bpf_cpumask_set_cpu(1, b);
	built++;
out:
	if (a)
		bpf_cpumask_release(a);
	if (b)
		bpf_cpumask_release(b);
	return 0;
}
