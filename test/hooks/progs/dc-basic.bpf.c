/* Test hook programs: counts per diagnostics_channel, the last server request's strings,
 * and a server latency sum, all through the maps the test reads. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tsbpf/hooks.h"

struct last {
	__u64 ts_ns;
	__u64 now_ns;
	__u32 status;
	__u32 port;
	__s32 method_ret;
	__s32 path_ret;
	char method[16];
	char path[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct last);
} lastreq SEC(".maps");

static __always_inline void count(__u32 ch)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &ch);
	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("tsbpf/dc/http.server.request.start")
int on_request(struct tsbpf_dc_ctx *ctx)
{
	count(ctx->channel);
	return 0;
}

SEC("tsbpf/dc/http.server.response.finish")
int on_finish(struct tsbpf_dc_ctx *ctx)
{
	__u32 zero = 0;
	struct last *l = bpf_map_lookup_elem(&lastreq, &zero);
	count(ctx->channel);
	if (!l)
		return 0;
	l->ts_ns = ctx->ts_ns;
	l->now_ns = bpf_ktime_get_ns();
	l->status = ctx->status;
	l->port = ctx->port;
	l->method_ret = bpf_probe_read_kernel_str(l->method, sizeof(l->method), (void *)ctx->method.ptr);
	l->path_ret = bpf_probe_read_user_str(l->path, sizeof(l->path), (void *)ctx->path.ptr);
	return 0;
}

SEC("tsbpf/dc/child_process")
int on_child(struct tsbpf_dc_ctx *ctx)
{
	count(ctx->channel);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
