// Imitates newer tracing code that trusts bpf_get_current_task_btf(): the task is a BTF
// pointer, read with plain loads (no probe_read), its mm and cgroup followed directly.
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} rss_pages SEC(".maps");

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 tgid = t->tgid;
	struct mm_struct *mm = t->mm;
	if (!mm)
		return 0;
	__u64 pages = BPF_CORE_READ(mm, rss_stat[0].count);
	bpf_map_update_elem(&rss_pages, &tgid, &pages, BPF_ANY);
	return 0;
}
