// Imitates a Tetragon-style process tracker: tp_btf sched_process_exec with BTF-typed
// arguments (task, bprm), the filename read with bpf_probe_read_kernel_str, the parent chain
// walked a few levels with CO-RE reads, and an event reserved in a ring buffer.
#include "corpus.h"

#define MAX_ANCESTORS 4

struct exec_msg {
	__u32 pid, tgid;
	__u32 ancestors[MAX_ANCESTORS];
	char filename[256];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} msgs SEC(".maps");

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct exec_msg *m = bpf_ringbuf_reserve(&msgs, sizeof(*m), 0);
	if (!m)
		return 0;
	m->pid = BPF_CORE_READ(p, pid);
	m->tgid = BPF_CORE_READ(p, tgid);
	bpf_probe_read_kernel_str(m->filename, sizeof(m->filename), BPF_CORE_READ(bprm, filename));
	struct task_struct *t = p;
	for (int i = 0; i < MAX_ANCESTORS; i++) {
		t = BPF_CORE_READ(t, real_parent);
		m->ancestors[i] = t ? BPF_CORE_READ(t, tgid) : 0;
	}
	bpf_ringbuf_submit(m, 0);
	return 0;
}
