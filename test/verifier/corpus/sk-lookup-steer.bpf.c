// Imitates a socket steering sk_lookup program (as used to serve many ports from one
// socket): pick a socket from a sockmap by destination port and assign it.
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} redir SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u16);
	__type(value, __u32);
} ports SEC(".maps");

SEC("sk_lookup")
int steer(struct bpf_sk_lookup *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return SK_PASS;
	__u16 port = ctx->local_port;
	__u32 *slot = bpf_map_lookup_elem(&ports, &port);
	if (!slot)
		return SK_PASS;
	__u32 key = *slot;
	struct bpf_sock *sk = bpf_map_lookup_elem(&redir, &key);
	if (!sk)
		return SK_PASS;
	long err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}
