/* A tc classifier that marks and rate-limits: SSH and DNS get priority marks, bulk web
 * traffic a lower one; each source may send at most BURST packets per 100 ms window (by
 * skb->tstamp, the capture's time in a test run), beyond which its packets are shot.
 * Counts marks and drops. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define WINDOW_NS 100000000ull
#define BURST 5

enum mark { MARK_BULK = 1, MARK_INTERACTIVE = 2, MARK_OTHER = 3 };

struct bucket {
	__u64 window_start;
	__u32 packets;
	__u32 dropped;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct bucket);
} buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} marks SEC(".maps");

SEC("tc")
int mark_and_limit(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct bucket *b, fresh = {};
	__u16 *ports;
	__u32 saddr, mark = MARK_OTHER, dport = 0;
	__u64 now = skb->tstamp, *n;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	saddr = ip->saddr;
	if ((ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) && ip->ihl == 5) {
		ports = (void *)(ip + 1);
		if ((void *)(ports + 2) <= data_end)
			dport = bpf_ntohs(ports[1]);
	}
	if (dport == 22 || dport == 53)
		mark = MARK_INTERACTIVE;
	else if (dport == 80 || dport == 443)
		mark = MARK_BULK;

	b = bpf_map_lookup_elem(&buckets, &saddr);
	if (!b) {
		fresh.window_start = now;
		bpf_map_update_elem(&buckets, &saddr, &fresh, BPF_ANY);
		b = bpf_map_lookup_elem(&buckets, &saddr);
		if (!b)
			return TC_ACT_OK;
	}
	if (now - b->window_start >= WINDOW_NS) {
		b->window_start = now;
		b->packets = 0;
	}
	if (++b->packets > BURST) {
		b->dropped++;
		return TC_ACT_SHOT;
	}
	skb->mark = mark;
	skb->priority = mark;
	n = bpf_map_lookup_elem(&marks, &mark);
	if (n)
		__sync_fetch_and_add(n, 1);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
