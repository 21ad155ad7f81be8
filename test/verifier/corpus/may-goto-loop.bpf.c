// Imitates code using libbpf's can_loop (the may_goto instruction) for a loop whose bound the
// verifier could not prove otherwise: a hash-chain walk through an array map.
#include "corpus.h"

#define can_loop ({ __label__ l_break, l_continue; bool ret = true; \
	asm volatile goto("may_goto %l[l_break]" :::: l_break); goto l_continue; \
	l_break: ret = false; l_continue:; ret; })

struct link { __u32 next; __u32 key; __u64 val; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct link);
} chain SEC(".maps");

__u64 found;

SEC("raw_tp/sys_enter")
int walk_chain(void *ctx)
{
	__u32 want = bpf_get_prandom_u32(), i = 0;
	while (can_loop) {
		struct link *l = bpf_map_lookup_elem(&chain, &i);
		if (!l)
			break;
		if (l->key == want) {
			found = l->val;
			break;
		}
		i = l->next;
	}
	return 0;
}
