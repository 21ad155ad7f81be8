/* Hook programs tsbpf must refuse: one writes its read-only context, one reads past it,
 * one declares another hook's context struct. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tsbpf/hooks.h"

SEC("tsbpf/dc/http.server.request.start")
int writes_ctx(struct tsbpf_dc_ctx *ctx)
{
	ctx->status = 500;
	return 0;
}

SEC("tsbpf/dc/http.server.request.start")
int reads_past(struct tsbpf_dc_ctx *ctx)
{
	return *(volatile __u32 *)((char *)ctx + sizeof(*ctx));
}

SEC("tsbpf/dc/http.server.request.start")
int wrong_struct(struct tsbpf_fn_ctx *ctx)
{
	return ctx->nargs;
}

char LICENSE[] SEC("license") = "GPL";
