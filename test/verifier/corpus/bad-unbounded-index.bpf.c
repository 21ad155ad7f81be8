// Near miss: the loop bound comes from a map value the user controls, so the walk over a
// fixed-size array in another value has no proven bound (the kernel: unbounded memory access).
#include "corpus.h"

struct cfg { __u32 n; };
struct slots { __u64 v[16]; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cfg);
} cfg_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slots);
} slot_map SEC(".maps");

SEC("raw_tp/sys_enter")
int clear_slot(void *ctx)
{
	__u32 zero = 0;
	struct cfg *c = bpf_map_lookup_elem(&cfg_map, &zero);
	struct slots *s = bpf_map_lookup_elem(&slot_map, &zero);
	if (!c || !s)
		return 0;
	s->v[c->n] = 0; /* c->n never compared with 16 */
	return 0;
}
