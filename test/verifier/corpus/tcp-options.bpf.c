// Imitates a SYN-proxy / MSS-clamping tc program: walk the TCP options of a SYN in a bounded
// loop (byte by byte, with NOP and EOL), find the MSS option and clamp it.
#include "xdp-parse.h"

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define MAX_OPT_BYTES 40

const volatile __u16 mss_max = 1400;
__u64 clamped;

SEC("tc")
int clamp_mss(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_TCP)
		return TC_ACT_OK;
	struct tcphdr *tcp = (void *)(ip + 1);
	if ((void *)(tcp + 1) > end || !tcp->syn)
		return TC_ACT_OK;
	__u8 *opt = (void *)(tcp + 1);
	__u32 optlen = tcp->doff * 4 - sizeof(*tcp);
	if (optlen > MAX_OPT_BYTES)
		return TC_ACT_OK;
	for (__u32 i = 0; i < MAX_OPT_BYTES; ) {
		if (i >= optlen)
			break;
		__u8 *p = opt + i;
		if ((void *)(p + 1) > end)
			break;
		if (*p == TCPOPT_EOL)
			break;
		if (*p == TCPOPT_NOP) {
			i++;
			continue;
		}
		if ((void *)(p + 2) > end)
			break;
		__u8 len = p[1];
		if (len < 2)
			break;
		if (*p == TCPOPT_MSS && len == 4) {
			if ((void *)(p + 4) > end)
				break;
			__be16 *mss = (__be16 *)(p + 2);
			if (bpf_ntohs(*mss) > mss_max) {
				*mss = bpf_htons(mss_max); /* checksum left to the offload, as such tools do */
				__sync_fetch_and_add(&clamped, 1);
			}
			break;
		}
		i += len;
	}
	return TC_ACT_OK;
}
