// bpf_loop with a constant count whose callback advances a cursor kept in its context, the
// cursor then used as an index (a fixed number of retries or stages, each taking a slot): the
// kernel runs the callback at most nr_loops times on a path, so the cursor stays within
// [0, nr_loops]; nested loops multiply. Also a global function taking the packet's dynptr.
#include "corpus.h"
#include "dynptr.h"

#define STAGES 3

struct cursor { __u64 n; };

__u64 stage_hits[STAGES + 1];

static int advance(__u32 i, struct cursor *c)
{
	c->n++;
	return 0;
}

SEC("raw_tp/sys_enter")
int stages(void *ctx)
{
	struct cursor c = {};

	bpf_loop(STAGES, advance, &c, 0);
	stage_hits[c.n]++;
	return 0;
}

/* Verified alone: any initialised dynptr, read-only. */
__weak int ip_proto(struct bpf_dynptr *pkt)
{
	__u8 proto;

	if (bpf_dynptr_read(&proto, sizeof(proto), pkt, sizeof(struct ethhdr) + 9, 0))
		return -1;
	return proto;
}

__u64 tcp_packets;

SEC("xdp")
int count_tcp(struct xdp_md *ctx)
{
	struct bpf_dynptr pkt;

	if (bpf_dynptr_from_xdp(ctx, 0, &pkt))
		return XDP_PASS;
	if (ip_proto(&pkt) == IPPROTO_TCP)
		tcp_packets++;
	return XDP_PASS;
}
