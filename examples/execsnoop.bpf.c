/* An execsnoop-like tracer: on each execve(2), the pid, the uid, the command name and the
 * file executed go to a ring buffer, as BCC's execsnoop reports them. Run on made-up
 * events: tsbpf run execsnoop.bpf.o --ctx-json execsnoop.events.json */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define TASK_COMM_LEN 16
#define NAME_LEN 128

/* The record of the syscalls/sys_enter_execve tracepoint, as its format file gives it. */
struct sys_enter_execve {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	int __syscall_nr;
	const char *filename;
	const char *const *argv;
	const char *const *envp;
};

struct event {
	__u32 pid;
	__u32 uid;
	char comm[TASK_COMM_LEN];
	char filename[NAME_LEN];
};

/* Puts struct event in the object's BTF (locals are not there), so a reader of the ring
 * buffer, tsbpf's run summary included, can decode its records. */
struct event *unused_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} execs SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int trace_execve(struct sys_enter_execve *ctx)
{
	struct event *e;
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&execs, &zero);

	if (n)
		__sync_fetch_and_add(n, 1);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->filename, sizeof(e->filename), ctx->filename);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
