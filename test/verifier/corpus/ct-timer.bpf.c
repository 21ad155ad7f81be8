// Imitates a load balancer's flow expiry with bpf_timer: each entry embeds a timer that is
// initialised, given a callback and armed when the flow is created.
#include "xdp-parse.h"

#define CLOCK_MONOTONIC 1
#define FLOW_TTL_NS (30ULL * 1000000000ULL)

struct flow_val { __u64 packets; struct bpf_timer timer; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct flow_val);
} flows SEC(".maps");

static int expire(void *map, __u32 *key, struct flow_val *v)
{
	bpf_map_delete_elem(map, key);
	return 0;
}

SEC("tc")
int tc_flows(struct __sk_buff *skb)
{
	__u32 key = skb->hash;
	struct flow_val *v = bpf_map_lookup_elem(&flows, &key);
	if (v) {
		__sync_fetch_and_add(&v->packets, 1);
		return TC_ACT_OK;
	}
	struct flow_val nv = { .packets = 1 };
	if (bpf_map_update_elem(&flows, &key, &nv, BPF_NOEXIST))
		return TC_ACT_OK;
	v = bpf_map_lookup_elem(&flows, &key);
	if (!v)
		return TC_ACT_OK;
	if (bpf_timer_init(&v->timer, &flows, CLOCK_MONOTONIC))
		return TC_ACT_OK;
	bpf_timer_set_callback(&v->timer, expire);
	bpf_timer_start(&v->timer, FLOW_TTL_NS, 0);
	return TC_ACT_OK;
}
