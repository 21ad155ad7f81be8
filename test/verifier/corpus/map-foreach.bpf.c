// Imitates a periodic garbage collector: a raw_tp walks every entry of a hash with
// bpf_for_each_map_elem, deleting expired ones from the callback and counting the rest.
#include "corpus.h"

struct session { __u64 expires; __u32 owner; __u32 pad; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct session);
} sessions SEC(".maps");

struct gc_ctx { __u64 now; __u32 expired; __u32 live; };

static long gc_one(struct bpf_map *map, __u64 *key, struct session *s, struct gc_ctx *gc)
{
	if (s->expires < gc->now) {
		bpf_map_delete_elem(map, key);
		gc->expired++;
	} else {
		gc->live++;
	}
	return 0;
}

__u32 last_expired, last_live;

SEC("raw_tp/sched_process_exit")
int sessions_gc(void *ctx)
{
	struct gc_ctx gc = { .now = bpf_ktime_get_ns() };
	bpf_for_each_map_elem(&sessions, gc_one, &gc, 0);
	last_expired = gc.expired;
	last_live = gc.live;
	return 0;
}
