// Imitates a proxy's socket handover (as sockmap-based L7 proxies do on restart): a socket
// looked up in one SOCKMAP is inserted into another with bpf_map_update_elem, whose value
// for a SOCKMAP or SOCKHASH is the socket pointer itself, not memory of value_size bytes.
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} old_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} new_socks SEC(".maps");

SEC("tc")
int handover(struct __sk_buff *skb)
{
	__u32 key = skb->mark & 63;
	struct bpf_sock *sk = bpf_map_lookup_elem(&old_socks, &key);

	if (!sk)
		return TC_ACT_OK;
	bpf_map_update_elem(&new_socks, &key, sk, BPF_ANY);
	bpf_sk_release(sk);
	return TC_ACT_OK;
}
