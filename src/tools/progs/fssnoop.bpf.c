/* fssnoop: every traced fs call (an fexit probe the tool attaches to each fs function) with
 * its path, duration and whether it failed. */
#include "tools.h"

struct fs_event {
	__u64 ts_ns;
	__u64 duration_ns;
	__u32 threw;
	__u32 _pad;
	char call[32];
	char path[96];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tsbpf/fexit/fs.readFileSync")
int fssnoop(struct tsbpf_fn_ctx *ctx)
{
	struct fs_event *e;
	struct tool_config *c = tool_config();
	if (c && c->failed_only && !ctx->threw)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->ts_ns = ctx->ts_ns - ctx->duration_ns;
	e->duration_ns = ctx->duration_ns;
	e->threw = ctx->threw;
	e->_pad = 0;
	bpf_probe_read_user_str(e->call, sizeof(e->call), (void *)ctx->name.ptr);
	e->path[0] = 0;
	if (ctx->args[0].type == TSBPF_ARG_STRING)
		bpf_probe_read_user_str(e->path, sizeof(e->path), (void *)ctx->args[0].str.ptr);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
