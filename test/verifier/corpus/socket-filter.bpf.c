// Imitates a BCC-era socket filter (as http-parse tools attach with SO_ATTACH_BPF): legacy
// LD_ABS byte loads, bpf_skb_load_bytes for the payload, and the accept-length return.
#include "corpus.h"

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

SEC("socket")
int http_filter(struct __sk_buff *skb)
{
	if (load_half(skb, 12) != ETH_P_IP)
		return 0;
	if (load_byte(skb, 23) != IPPROTO_TCP)
		return 0;
	__u32 ihl = (load_byte(skb, 14) & 0x0f) << 2;
	__u32 tcp_off = 14 + ihl;
	__u32 doff = (load_byte(skb, tcp_off + 12) >> 4) << 2;
	__u32 payload = tcp_off + doff;
	char p[4];
	if (bpf_skb_load_bytes(skb, payload, p, sizeof(p)) < 0)
		return 0;
	if (p[0] == 'G' && p[1] == 'E' && p[2] == 'T' && p[3] == ' ')
		return -1; /* keep the whole packet */
	if (p[0] == 'H' && p[1] == 'T' && p[2] == 'T' && p[3] == 'P')
		return -1;
	return 0;
}
