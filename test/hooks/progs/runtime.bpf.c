/* Test runtime tracepoints and sampling: per-event counts and sums, the last name seen,
 * and sampled stacks counted by stack id. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tsbpf/hooks.h"

struct stat {
	__u64 count;
	__u64 sum; /* gc: pause ns; loop_delay: delay ns */
	char name[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct stat);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 32 * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} samples SEC(".maps");

static __always_inline int record(struct tsbpf_rt_ctx *ctx)
{
	__u32 ev = ctx->event;
	__u64 dur = ctx->duration_ns, val = ctx->value;
	struct stat *s = bpf_map_lookup_elem(&stats, &ev);
	if (!s)
		return 0;
	s->count++;
	s->sum += ev == TSBPF_RT_GC ? dur : val;
	if (ctx->name.len)
		bpf_probe_read_user_str(s->name, sizeof(s->name), (void *)ctx->name.ptr);
	return 0;
}

SEC("tsbpf/runtime/gc")
int on_gc(struct tsbpf_rt_ctx *ctx) { return record(ctx); }

SEC("tsbpf/runtime/loop_delay")
int on_delay(struct tsbpf_rt_ctx *ctx) { return record(ctx); }

SEC("tsbpf/runtime/module_load")
int on_module(struct tsbpf_rt_ctx *ctx) { return record(ctx); }

SEC("tsbpf/runtime/warning")
int on_warning(struct tsbpf_rt_ctx *ctx) { return record(ctx); }

SEC("tsbpf/runtime/uncaught")
int on_uncaught(struct tsbpf_rt_ctx *ctx) { return record(ctx); }

SEC("tsbpf/runtime/async_init")
int on_async(struct tsbpf_rt_ctx *ctx) { return record(ctx); }

SEC("tsbpf/perf/999")
int on_sample(struct tsbpf_perf_ctx *ctx)
{
	__s64 id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	__u32 key;
	__u64 one = 1, *n;
	if (id < 0)
		return 0;
	key = id;
	n = bpf_map_lookup_elem(&samples, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&samples, &key, &one, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
