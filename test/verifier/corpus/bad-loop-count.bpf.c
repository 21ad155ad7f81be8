// Near misses: a bpf_loop cursor used as an index one slot too far (the callback may run all
// nr_loops times), and a global function's dynptr argument given a dynptr made on one path only.
#include "corpus.h"
#include "dynptr.h"

#define STAGES 3

struct cursor { __u64 n; };

__u64 stage_hits[STAGES];

static int advance(__u32 i, struct cursor *c)
{
	c->n++;
	return 0;
}

SEC("raw_tp/sys_enter")
int stages_overrun(void *ctx)
{
	struct cursor c = {};

	bpf_loop(STAGES, advance, &c, 0);
	stage_hits[c.n]++;
	return 0;
}

__weak int first_byte(struct bpf_dynptr *pkt)
{
	__u8 b;

	if (bpf_dynptr_read(&b, sizeof(b), pkt, 0, 0))
		return -1;
	return b;
}

SEC("xdp")
int unmade_dynptr(struct xdp_md *ctx)
{
	struct bpf_dynptr pkt;

	/* Only long packets get a dynptr; short ones reach the call without one. */
	if (ctx->data_end - ctx->data >= 64)
		bpf_dynptr_from_xdp(ctx, 0, &pkt);
	return first_byte(&pkt) == 0x45 ? XDP_DROP : XDP_PASS;
}
