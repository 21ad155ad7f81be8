// Imitates a container runtime's socket redirector: connections to a unix socket path are
// sent to another path with bpf_sock_addr_set_sun_path, which takes the kernel's
// `struct bpf_sock_addr_kern *` (bpf_cast_to_kern_ctx of the ctx), a BTF pointer argument,
// not the ctx itself. A second program parses a dropped packet's headers from tp_btf's
// `struct sk_buff *`, given to bpf_dynptr_from_skb where it declares `struct __sk_buff *`.
#include "corpus.h"

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;
extern int bpf_sock_addr_set_sun_path(struct bpf_sock_addr_kern *sa_kern, const __u8 *sun_path, __u32 sun_path__sz) __ksym;
extern int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;

SEC("cgroup/connect_unix")
int redirect_unix(struct bpf_sock_addr *ctx)
{
	struct bpf_sock_addr_kern *sa_kern = bpf_cast_to_kern_ctx(ctx);
	char target[16] = "/run/proxy.sock";

	if (bpf_sock_addr_set_sun_path(sa_kern, (const __u8 *)target, sizeof(target) - 1))
		return 0;
	return 1;
}

__u64 dropped_ipv4;

SEC("tp_btf/kfree_skb")
int BPF_PROG(count_drops, struct sk_buff *skb, void *location)
{
	struct bpf_dynptr ptr;
	struct ethhdr eth;

	if (bpf_dynptr_from_skb((struct __sk_buff *)skb, 0, &ptr))
		return 0;
	if (bpf_dynptr_read(&eth, sizeof(eth), &ptr, 0, 0))
		return 0;
	if (eth.h_proto == bpf_htons(ETH_P_IP))
		__sync_fetch_and_add(&dropped_ipv4, 1);
	return 0;
}
