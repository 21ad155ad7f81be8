// Imitates a per-flow rate meter kept under a bpf_spin_lock, as tc policers do: the lock
// guards a token bucket in a hash value.
#include "xdp-parse.h"

struct tbucket {
	struct bpf_spin_lock lock;
	__u64 tokens;
	__u64 last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct tbucket);
} buckets SEC(".maps");

const volatile __u64 rate_per_ms = 100;

SEC("tc")
int police(struct __sk_buff *skb)
{
	__u32 key = skb->ifindex;
	struct tbucket *b = bpf_map_lookup_elem(&buckets, &key);
	if (!b) {
		struct tbucket nb = { .tokens = 1000 };
		bpf_map_update_elem(&buckets, &key, &nb, BPF_NOEXIST);
		return TC_ACT_OK;
	}
	__u64 now = bpf_ktime_get_ns();
	int verdict = TC_ACT_OK;
	bpf_spin_lock(&b->lock);
	__u64 add = (now - b->last_ns) / 1000000 * rate_per_ms;
	b->tokens += add;
	if (b->tokens > 1000)
		b->tokens = 1000;
	b->last_ns = now;
	if (b->tokens < skb->len)
		verdict = TC_ACT_SHOT;
	else
		b->tokens -= skb->len;
	bpf_spin_unlock(&b->lock);
	return verdict;
}
