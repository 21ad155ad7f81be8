// Variable-length ring buffer events through dynptrs (as newer tracers emit records whose
// size is known only at run time): a record reserved as a dynptr, a fixed header written
// through a data slice, a payload copied with bpf_dynptr_write, submitted or discarded on
// every path; and a local dynptr over a map value read back with bpf_dynptr_read.
#include "corpus.h"

struct event_hdr {
	__u32 pid;
	__u32 len;
	__u64 ts;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

struct scratch {
	char buf[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

__u64 dropped;

SEC("tracepoint/syscalls/sys_enter_write")
int emit_write(struct trace_event_raw_sys_enter *ctx)
{
	struct bpf_dynptr rec;
	struct event_hdr *hdr;
	__u32 zero = 0, len;
	struct scratch *s;

	s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!s)
		return 0;
	len = ctx->args[2] & 63;
	if (bpf_ringbuf_reserve_dynptr(&events, sizeof(*hdr) + 64, 0, &rec)) {
		/* A failed reservation must still be discarded. */
		bpf_ringbuf_discard_dynptr(&rec, 0);
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	hdr = bpf_dynptr_data(&rec, 0, sizeof(*hdr));
	if (!hdr) {
		bpf_ringbuf_discard_dynptr(&rec, 0);
		return 0;
	}
	hdr->pid = bpf_get_current_pid_tgid() >> 32;
	hdr->len = len;
	hdr->ts = bpf_ktime_get_ns();
	bpf_probe_read_user(s->buf, sizeof(s->buf), (void *)ctx->args[1]);
	bpf_dynptr_write(&rec, sizeof(*hdr), s->buf, sizeof(s->buf), 0);
	bpf_ringbuf_submit_dynptr(&rec, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_write")
int peek_scratch(void *ctx)
{
	struct bpf_dynptr local;
	__u32 zero = 0;
	struct scratch *s;
	char head[8];

	s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!s)
		return 0;
	if (bpf_dynptr_from_mem(s, sizeof(*s), 0, &local))
		return 0;
	if (bpf_dynptr_read(head, sizeof(head), &local, 0, 0))
		return 0;
	/* A local dynptr holds no reference: overwriting it is allowed. */
	__builtin_memset(&local, 0, sizeof(local));
	return head[0] == '#';
}
