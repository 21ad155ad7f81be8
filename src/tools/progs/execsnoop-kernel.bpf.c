/* execsnoop on the kernel's hook: every exec (raw tracepoint sched_process_exec), with the
 * new process's pid, its parent's tgid, comm and argv (read from mm->arg_start), to a ring
 * buffer; only the children of config.ppid when it is set. CO-RE reads, no vmlinux.h. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
} __attribute__((preserve_access_index));

struct task_struct {
	int tgid;
	struct task_struct *real_parent;
	struct mm_struct *mm;
} __attribute__((preserve_access_index));

#define ARGS_LEN 128

struct exec_event {
	__u64 ts_ns;
	__u32 pid;
	__u32 ppid;
	char comm[16];
	__u32 args_len;
	char args[ARGS_LEN];
};

struct exec_config {
	__u32 ppid; /* 0: every exec */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("raw_tp/sched_process_exec")
int execsnoop_kernel(void *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u32 zero = 0, ppid = BPF_CORE_READ(task, real_parent, tgid);
	struct exec_config *c = bpf_map_lookup_elem(&config, &zero);
	struct exec_event *e;
	unsigned long start, end, len;

	if (c && c->ppid && c->ppid != ppid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = ppid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	start = BPF_CORE_READ(task, mm, arg_start);
	end = BPF_CORE_READ(task, mm, arg_end);
	len = end > start ? end - start : 0;
	if (len > ARGS_LEN - 1)
		len = ARGS_LEN - 1;
	/* argv as the new image has it: NUL-separated strings; user space joins them. The mask
	 * keeps the bound in sight of the verifier whatever clang does with the clamp. */
	len &= ARGS_LEN - 1;
	if (bpf_probe_read_user(e->args, len, (void *)start) < 0)
		len = 0;
	e->args_len = len;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
