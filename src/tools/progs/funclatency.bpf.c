/* funclatency: the latency of a function (an fexit probe the tool attaches to FN) as a
 * log2 histogram in the tool's unit, with the total and the count for the average. */
#include "tools.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct hist_key);
	__type(value, __u64);
} hist SEC(".maps");

/* [0]: total in the unit, [1]: calls */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} totals SEC(".maps");

SEC("tsbpf/fexit/globalThis.fetch")
int funclatency(struct tsbpf_fn_ctx *ctx)
{
	struct hist_key k = {};
	struct tool_config *c = tool_config();
	__u32 unit = c && c->unit_ns ? c->unit_ns : 1;
	__u64 d = ctx->duration_ns / unit, *t;
	__u32 i = 0;
	k.slot = log2l(d);
	hist_add(&hist, &k);
	t = bpf_map_lookup_elem(&totals, &i);
	if (t)
		__sync_fetch_and_add(t, d);
	i = 1;
	t = bpf_map_lookup_elem(&totals, &i);
	if (t)
		__sync_fetch_and_add(t, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
