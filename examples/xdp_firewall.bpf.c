/* An XDP firewall with a blocklist: TCP to ports 22 and 23 is dropped unless it comes
 * from the admin network (192.168.0.0/16), and a source that tries them three times lands
 * in the blocklist map, after which everything it sends is dropped. Counts verdicts in an array and drops per blocked source in the blocklist.
 * Build: npm run fixtures (clang-19 -O2 -g -target bpf). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define STRIKES 3
#define ADMIN_NET 0xc0a80000 /* 192.168.0.0/16 */

enum verdict { DROPPED_PORT, PASSED, DROPPED_BLOCKED };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

/* Blocked source address (network order) -> packets dropped since. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} blocklist SEC(".maps");

/* Source address -> attempts on the closed ports. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} strikes SEC(".maps");

static __always_inline void count(__u32 verdict)
{
	__u64 *n = bpf_map_lookup_elem(&verdicts, &verdict);
	if (n)
		__sync_fetch_and_add(n, 1);
}

SEC("xdp")
int firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp;
	__u32 saddr, *tries, one = 1;
	__u64 *drops, zero = 0;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	saddr = ip->saddr;
	drops = bpf_map_lookup_elem(&blocklist, &saddr);
	if (drops) {
		__sync_fetch_and_add(drops, 1);
		count(DROPPED_BLOCKED);
		return XDP_DROP;
	}
	if (ip->protocol != IPPROTO_TCP)
		goto pass;
	tcp = (void *)ip + ip->ihl * 4;
	if ((void *)(tcp + 1) > data_end)
		goto pass;
	if ((saddr & bpf_htonl(0xffff0000)) == bpf_htonl(ADMIN_NET))
		goto pass;
	if (tcp->dest == bpf_htons(22) || tcp->dest == bpf_htons(23)) {
		tries = bpf_map_lookup_elem(&strikes, &saddr);
		if (!tries)
			bpf_map_update_elem(&strikes, &saddr, &one, BPF_NOEXIST);
		else if (++*tries >= STRIKES)
			bpf_map_update_elem(&blocklist, &saddr, &zero, BPF_ANY);
		count(DROPPED_PORT);
		return XDP_DROP;
	}
pass:
	count(PASSED);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
