// Imitates a Falco-style syscall capture: raw_tp sys_enter fills a large per-CPU event
// buffer (header + variable-length payload read from user memory with a bounded size),
// then sends only the used part through a ring buffer.
#include "corpus.h"

#define MAX_PAYLOAD 4096
#define NR_WRITE 1

struct evt_hdr { __u64 ts; __u32 tid; __u16 nr; __u16 len; };
struct evt { struct evt_hdr hdr; __u8 payload[MAX_PAYLOAD]; };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct evt);
} frame SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} ring SEC(".maps");

__u64 drops;

SEC("raw_tp/sys_enter")
int capture_write(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	if (ctx->args[1] != NR_WRITE)
		return 0;
	__u32 zero = 0;
	struct evt *e = bpf_map_lookup_elem(&frame, &zero);
	if (!e)
		return 0;
	const void *buf = (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs);
	__u64 count = PT_REGS_PARM3_CORE_SYSCALL(regs);
	__u32 n = count > MAX_PAYLOAD ? MAX_PAYLOAD : count;
	n &= MAX_PAYLOAD - 1 | MAX_PAYLOAD; /* keep the verifier's bound through the mask */
	if (n > MAX_PAYLOAD)
		return 0;
	if (bpf_probe_read_user(e->payload, n, buf) < 0)
		n = 0;
	e->hdr.ts = bpf_ktime_get_ns();
	e->hdr.tid = (__u32)bpf_get_current_pid_tgid();
	e->hdr.nr = NR_WRITE;
	e->hdr.len = n;
	__u64 size = sizeof(e->hdr) + n;
	if (size > sizeof(*e))
		return 0;
	if (bpf_ringbuf_output(&ring, e, size, 0))
		__sync_fetch_and_add(&drops, 1);
	return 0;
}
