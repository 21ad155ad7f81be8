// Imitates libbpf-tools' tcppktlat: tp_btf programs keep per-socket state keyed by
// bpf_get_socket_cookie(sk). Tracing programs pass it the traced BTF socket pointer
// (the kernel's bpf_get_socket_ptr_cookie_proto), where socket programs pass their context.
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} first_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lifetime_ns SEC(".maps");

SEC("tp_btf/tcp_rcv_space_adjust")
int BPF_PROG(sock_seen, struct sock *sk)
{
	__u64 cookie = bpf_get_socket_cookie(sk);
	__u64 now = bpf_ktime_get_ns();

	if (sk->__sk_common.skc_family != 2 && sk->__sk_common.skc_family != 10)
		return 0;
	bpf_map_update_elem(&first_seen, &cookie, &now, BPF_NOEXIST);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(sock_gone, struct sock *sk)
{
	__u64 cookie = bpf_get_socket_cookie(sk);
	__u64 *start, *total;
	__u32 zero = 0;

	start = bpf_map_lookup_elem(&first_seen, &cookie);
	if (!start)
		return 0;
	total = bpf_map_lookup_elem(&lifetime_ns, &zero);
	if (total)
		*total += bpf_ktime_get_ns() - *start;
	bpf_map_delete_elem(&first_seen, &cookie);
	return 0;
}
