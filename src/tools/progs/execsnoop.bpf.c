/* execsnoop: every child process the Node process starts (child_process channel, at spawn). */
#include "tools.h"

struct exec_event {
	__u64 ts_ns;
	__u32 pid;
	__u32 ppid;
	char comm[16];
	char args[128];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tsbpf/dc/child_process")
int execsnoop(struct tsbpf_dc_ctx *ctx)
{
	struct exec_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->ts_ns = ctx->ts_ns;
	e->pid = ctx->pid;
	e->ppid = bpf_get_current_pid_tgid() >> 32;
	bpf_probe_read_user_str(e->comm, sizeof(e->comm), (void *)ctx->path.ptr);
	bpf_probe_read_user_str(e->args, sizeof(e->args), (void *)ctx->host.ptr);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
