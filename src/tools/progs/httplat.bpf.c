/* httplat: HTTP server latency, request start to response finish, as a log2 histogram
 * (one per route, method and path, with -R), in the unit the tool asks for. */
#include "tools.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct hist_key);
	__type(value, __u64);
} hist SEC(".maps");

SEC("tsbpf/dc/http.server.response.finish")
int httplat(struct tsbpf_dc_ctx *ctx)
{
	struct hist_key k = {};
	struct tool_config *c = tool_config();
	__u64 start = ctx->start_ns, now = ctx->ts_ns;
	__u32 unit;
	if (!c || start == 0 || now < start)
		return 0;
	unit = c->unit_ns ? c->unit_ns : 1000;
	k.slot = log2l((now - start) / unit);
	if (c->per_route) {
		/* The route as two fixed fields: the method in bytes 0-7, the path in 8-63. */
		bpf_probe_read_user_str(k.section, 8, (void *)ctx->method.ptr);
		bpf_probe_read_user_str(&k.section[8], ROUTE_LEN - 8, (void *)ctx->path.ptr);
	}
	hist_add(&hist, &k);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
