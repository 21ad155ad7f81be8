/* A DNS query filter: UDP queries to port 53 whose name is on the blocklist are dropped;
 * the others pass. Counts queries by type (A, AAAA, ...) and blocked ones by entry. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_NAME 32
#define BLOCKED 2

struct dnshdr {
	__u16 id;
	__u16 flags;
	__u16 qdcount;
	__u16 ancount;
	__u16 nscount;
	__u16 arcount;
};

/* Names in wire format: length-prefixed labels. */
static const char blocked[BLOCKED][MAX_NAME] = {
	"\x03" "ads" "\x07" "example" "\x03" "com",
	"\x07" "tracker" "\x03" "net",
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u16);
	__type(value, __u64);
} qtypes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BLOCKED);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline void bump_qtype(__u16 qtype)
{
	__u64 *n = bpf_map_lookup_elem(&qtypes, &qtype), one = 1;
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&qtypes, &qtype, &one, BPF_NOEXIST);
}

SEC("xdp")
int dns_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp;
	struct dnshdr *dns;
	char name[MAX_NAME] = {};
	__u8 *q;
	int i, len = 0;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return XDP_PASS;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > data_end || udp->dest != bpf_htons(53))
		return XDP_PASS;
	dns = (void *)(udp + 1);
	if ((void *)(dns + 1) > data_end || (dns->flags & bpf_htons(0x8000)) || dns->qdcount != bpf_htons(1))
		return XDP_PASS;
	q = (void *)(dns + 1);
	for (i = 0; i < MAX_NAME; i++) {
		if ((void *)(q + i + 1) > data_end)
			return XDP_PASS;
		if (q[i] == 0)
			break;
		name[i] = q[i];
		len = i + 1;
	}
	if (i == MAX_NAME || (void *)(q + len + 5) > data_end)
		return XDP_PASS;
	bump_qtype(((__u16)q[len + 1] << 8) | q[len + 2]);
	for (int b = 0; b < BLOCKED; b++) {
		int same = 1;
		for (int j = 0; j < MAX_NAME; j++)
			if (name[j] != blocked[b][j])
				same = 0;
		if (same) {
			__u32 key = b;
			__u64 *n = bpf_map_lookup_elem(&hits, &key);
			if (n)
				__sync_fetch_and_add(n, 1);
			return XDP_DROP;
		}
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
