// Imitates the bpf_loop pattern of newer libbpf-tools: walk a config array with a
// callback and a context struct on the stack, summing enabled weights.
#include "corpus.h"

#define MAX_RULES 64

struct rule { __u32 enabled; __u32 weight; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_RULES);
	__type(key, __u32);
	__type(value, struct rule);
} rules SEC(".maps");

struct loop_ctx { __u64 sum; __u32 seen; };

static int sum_rule(__u32 i, struct loop_ctx *lc)
{
	struct rule *r = bpf_map_lookup_elem(&rules, &i);
	if (!r)
		return 1; /* stop */
	if (r->enabled) {
		lc->sum += r->weight;
		lc->seen++;
	}
	return 0;
}

__u64 last_sum;

SEC("raw_tp/sys_enter")
int sum_rules(void *ctx)
{
	struct loop_ctx lc = {};
	bpf_loop(MAX_RULES, sum_rule, &lc, 0);
	last_sum = lc.sum + lc.seen;
	return 0;
}
