// Imitates a cgroup sockopt policy (selftests sockopt_multi): setsockopt(IP_TOS) values are
// clamped in place in the optval buffer, getsockopt(IP_TOS) answers are rewritten, and each
// rewrite is logged with the option byte copied straight from optval into a ring buffer.
#include "corpus.h"

#ifndef SOL_IP
#define SOL_IP 0
#endif
#ifndef IP_TOS
#define IP_TOS 1
#endif

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} tos_log SEC(".maps");

SEC("cgroup/setsockopt")
int clamp_tos(struct bpf_sockopt *ctx)
{
	__u8 *optval = ctx->optval;
	__u8 *optval_end = ctx->optval_end;

	if (ctx->level != SOL_IP || ctx->optname != IP_TOS)
		goto out;
	if (optval + 1 > optval_end)
		return 0;
	if (optval[0] > 0xb8)
		optval[0] = 0xb8;
	bpf_ringbuf_output(&tos_log, optval, 1, 0);
	ctx->optlen = 1;
	return 1;
out:
	if (ctx->optlen > 4096)
		ctx->optlen = 0;
	return 1;
}

SEC("cgroup/getsockopt")
int report_tos(struct bpf_sockopt *ctx)
{
	__u8 *optval = ctx->optval;
	__u8 *optval_end = ctx->optval_end;

	if (ctx->level != SOL_IP || ctx->optname != IP_TOS)
		return 1;
	if (optval + 1 > optval_end)
		return 0;
	ctx->retval = 0;
	optval[0] |= 0x04;
	ctx->optlen = 1;
	return 1;
}
