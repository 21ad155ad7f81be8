// Imitates an execsnoop-style tool: on every execve, a ring buffer record with the pid,
// the parent's tgid read through CO-RE, the command and the first argument.
#include "corpus.h"

struct exec_event {
	__u32 pid, ppid, uid;
	int retval;
	char comm[TASK_COMM_LEN];
	char arg0[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

const volatile __u32 target_uid = (__u32)-1;

SEC("tracepoint/syscalls/sys_enter_execve")
int trace_execve(struct trace_event_raw_sys_enter *ctx)
{
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	if (target_uid != (__u32)-1 && uid != target_uid)
		return 0;
	struct exec_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = uid;
	e->retval = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	const char *const *argv = (const char *const *)ctx->args[1];
	const char *arg0 = NULL;
	bpf_probe_read_user(&arg0, sizeof(arg0), &argv[0]);
	if (bpf_probe_read_user_str(e->arg0, sizeof(e->arg0), arg0) < 0)
		e->arg0[0] = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
