// Imitates a tcpstates/tcplife-style tool: the sock:inet_sock_set_state tracepoint's
// format struct, an LRU hash of birth times per socket, a ring buffer output on close.
#include "corpus.h"

#define TCP_CLOSE 7

struct life_event {
	__u64 skaddr, span_us;
	__u32 saddr, daddr;
	__u16 sport, dport;
	__u32 pid;
	int oldstate, newstate;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} birth SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

SEC("tracepoint/sock/inet_sock_set_state")
int on_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	__u64 sk = (__u64)ctx->skaddr;
	__u64 now = bpf_ktime_get_ns();
	if (ctx->newstate != TCP_CLOSE) {
		if (!bpf_map_lookup_elem(&birth, &sk))
			bpf_map_update_elem(&birth, &sk, &now, BPF_ANY);
		return 0;
	}
	__u64 *b = bpf_map_lookup_elem(&birth, &sk);
	__u64 span = b ? (now - *b) / 1000 : 0;
	struct life_event e = {};
	e.skaddr = sk;
	e.span_us = span;
	__builtin_memcpy(&e.saddr, ctx->saddr, 4);
	__builtin_memcpy(&e.daddr, ctx->daddr, 4);
	e.sport = ctx->sport;
	e.dport = ctx->dport;
	e.pid = bpf_get_current_pid_tgid() >> 32;
	e.oldstate = ctx->oldstate;
	e.newstate = ctx->newstate;
	bpf_ringbuf_output(&events, &e, sizeof(e), 0);
	bpf_map_delete_elem(&birth, &sk);
	return 0;
}
