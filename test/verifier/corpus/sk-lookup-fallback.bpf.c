// Imitates a second-stage sk_lookup policy: when a port is closed for maintenance, any socket
// an earlier program selected is cleared with bpf_sk_assign(ctx, NULL, BPF_SK_LOOKUP_F_REPLACE)
// so the packet falls back to the regular lookup; otherwise a standby socket takes over.
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} standby SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} closed_ports SEC(".maps");

SEC("sk_lookup")
int fallback(struct bpf_sk_lookup *ctx)
{
	__u16 port = ctx->local_port;
	__u32 zero = 0;
	struct bpf_sock *sk;
	long err;

	if (bpf_map_lookup_elem(&closed_ports, &port))
		return bpf_sk_assign(ctx, NULL, BPF_SK_LOOKUP_F_REPLACE) ? SK_DROP : SK_PASS;
	if (ctx->sk)
		return SK_PASS;
	sk = bpf_map_lookup_elem(&standby, &zero);
	if (!sk)
		return SK_PASS;
	err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}
