// Imitates a runqlat-style histogram: tp_btf sched_wakeup/sched_switch with BTF-typed task
// arguments, a start-time hash and a log2 histogram indexed by a bounded slot.
#include "corpus.h"

#define MAX_SLOTS 26

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

__u64 hist[MAX_SLOTS];

static __always_inline __u64 log2_u64(__u64 v)
{
	__u64 r = 0;
	while (v > 1 && r < 63) {
		v >>= 1;
		r++;
	}
	return r;
}

static __always_inline int record_enqueue(__u32 pid)
{
	if (!pid)
		return 0;
	__u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(handle_wakeup, struct task_struct *p)
{
	return record_enqueue(p->pid);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(handle_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	if (BPF_CORE_READ(prev, __state) == 0)
		record_enqueue(prev->pid);
	__u32 pid = next->pid;
	__u64 *tsp = bpf_map_lookup_elem(&start, &pid);
	if (!tsp)
		return 0;
	__u64 delta = (bpf_ktime_get_ns() - *tsp) / 1000;
	__u64 slot = log2_u64(delta);
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	__sync_fetch_and_add(&hist[slot], 1);
	bpf_map_delete_elem(&start, &pid);
	return 0;
}
