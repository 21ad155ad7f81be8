// Imitates a file-deletion tracer in the style of libbpf-tools: BPF_KPROBE with typed
// arguments read from pt_regs, a CO-RE read through the struct filename, the entry's state
// kept per thread for the kretprobe, which reads the return value with PT_REGS_RC.
#include "corpus.h"

#define NAME_LEN 64

struct unlink_event {
	__u32 pid;
	int dfd;
	int ret;
	char name[NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct unlink_event);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(unlink_entry, int dfd, struct filename *name)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct unlink_event e = {};
	const char *s;

	e.pid = bpf_get_current_pid_tgid() >> 32;
	e.dfd = dfd;
	s = BPF_CORE_READ(name, name);
	bpf_probe_read_kernel_str(e.name, sizeof(e.name), s);
	bpf_map_update_elem(&inflight, &tid, &e, BPF_ANY);
	return 0;
}

SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(unlink_exit, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct unlink_event *e = bpf_map_lookup_elem(&inflight, &tid);
	struct unlink_event *out;

	if (!e)
		return 0;
	out = bpf_ringbuf_reserve(&events, sizeof(*out), 0);
	if (out) {
		__builtin_memcpy(out, e, sizeof(*out));
		out->ret = ret;
		bpf_ringbuf_submit(out, 0);
	}
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}

SEC("raw_tp/sys_exit")
int raw_exit_codes(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long id = ctx->args[1];
	__u64 nr = 0;

	if (id < 0)
		return 0;
	bpf_probe_read_kernel(&nr, sizeof(nr), &regs->orig_ax);
	if (nr == 87 /* unlink */)
		bpf_printk("unlink returned %ld", id);
	return 0;
}
