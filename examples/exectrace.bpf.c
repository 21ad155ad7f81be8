/* An exec tracer for `tsbpf trace`: on every exec (the raw tracepoint sched_process_exec),
 * the pid, the uid and the new command name go to a ring buffer, and a per-uid count to a
 * hash map. The record type is a subprogram's parameter, so it is in the object's BTF:
 *   tsbpf trace examples/exectrace.bpf.o --type events=exec_event */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct exec_event {
	__u32 pid;
	__u32 uid;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} execs_by_uid SEC(".maps");

static __attribute__((noinline)) int fill(struct exec_event *e)
{
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return 0;
}

SEC("raw_tp/sched_process_exec")
int trace_exec(void *ctx)
{
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	__u64 one = 1, *n = bpf_map_lookup_elem(&execs_by_uid, &uid);
	struct exec_event *e;

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&execs_by_uid, &uid, &one, BPF_NOEXIST);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	fill(e);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
