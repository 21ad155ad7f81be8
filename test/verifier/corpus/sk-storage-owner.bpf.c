// Imitates per-socket ownership tracking (container network accounting): a cgroup/sock_create
// program attaches socket-local storage through its own context (the kernel's
// bpf_sk_storage_get_cg_sock_proto takes the ctx as the socket), and tp_btf programs find it
// again from the traced BTF socket (bpf_sk_storage_get/delete_tracing_proto, whose socket
// may be NULL: a no-op).
#include "corpus.h"

struct owner {
	__u32 uid;
	__u32 state_changes;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct owner);
} owners SEC(".maps");

SEC("cgroup/sock_create")
int sock_owner(struct bpf_sock *ctx)
{
	struct owner *o;

	if (ctx->type != 1 /* SOCK_STREAM */)
		return 1;
	o = bpf_sk_storage_get(&owners, ctx, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return 1;
	o->uid = (__u32)bpf_get_current_uid_gid();
	return 1;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sock_state, const struct sock *sk, int oldstate, int newstate)
{
	struct owner *o = bpf_sk_storage_get(&owners, (void *)sk, 0, 0);

	if (o)
		__sync_fetch_and_add(&o->state_changes, 1);
	return 0;
}

/* The socket whose record is done with: the closing one, else none. */
static __always_inline void *closing(const struct sock *sk, int newstate)
{
	return newstate == BPF_TCP_CLOSE ? (void *)sk : NULL;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sock_closed, const struct sock *sk, int oldstate, int newstate)
{
	return bpf_sk_storage_delete(&owners, closing(sk, newstate)) == 0;
}
