/* gcstat: GC pauses by kind (minor, major, incremental, weakcb) as log2 histograms. */
#include "tools.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct hist_key);
	__type(value, __u64);
} hist SEC(".maps");

SEC("tsbpf/runtime/gc")
int gcstat(struct tsbpf_rt_ctx *ctx)
{
	struct hist_key k = {};
	struct tool_config *c = tool_config();
	__u32 unit = c && c->unit_ns ? c->unit_ns : 1000;
	/* The section is the kind's number (NODE_PERFORMANCE_GC_*); the tool names it. */
	k.section[0] = '0' + (ctx->kind & 15);
	k.slot = log2l(ctx->duration_ns / unit);
	hist_add(&hist, &k);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
