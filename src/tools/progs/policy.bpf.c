/* policy: deny rules from a file: an operation, and a path (or command, host) prefix or a
 * port; every denial is reported on the `denials` ring buffer. One program, attached by
 * the tool to each policy hook a rule names. */
#include "tools.h"

#define MAX_RULES 16

struct rule {
	__u32 op;   /* enum tsbpf_policy_op; 0: unused */
	__u32 port; /* 0: any */
	__u32 len;  /* prefix length; 0: any path */
	__u32 _pad;
	char prefix[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_RULES);
	__type(key, __u32);
	__type(value, struct rule);
} rules SEC(".maps");

struct denial {
	__u64 ts_ns;
	__u32 op;
	__u32 port;
	__u32 rule;
	__u32 _pad;
	char path[64];
	char fn[32];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} denials SEC(".maps");

struct match_ctx {
	struct tsbpf_policy_ctx *ctx;
	char path[64];
	__u32 op, port;
	__s32 hit;
};

static long match_rule(__u32 i, struct match_ctx *m)
{
	struct rule *r = bpf_map_lookup_elem(&rules, &i);
	if (!r || r->op != m->op)
		return 0;
	if (r->port && r->port != m->port)
		return 0;
	for (int j = 0; j < 64; j++) {
		if (j >= r->len)
			break;
		if (m->path[j] != r->prefix[j])
			return 0;
	}
	m->hit = i;
	return 1;
}

SEC("tsbpf/policy/fs.open")
int policy(struct tsbpf_policy_ctx *ctx)
{
	struct match_ctx m = { .op = ctx->op, .port = ctx->port, .hit = -1 };
	struct denial *d;
	struct tool_config *c = tool_config();
	__u32 n = c && c->count < MAX_RULES ? c->count : MAX_RULES;
	if (ctx->path.len)
		bpf_probe_read_user_str(m.path, sizeof(m.path), (void *)ctx->path.ptr);
	bpf_loop(n, match_rule, &m, 0);
	if (m.hit < 0)
		return 0;
	d = bpf_ringbuf_reserve(&denials, sizeof(*d), 0);
	if (d) {
		d->ts_ns = ctx->ts_ns;
		d->op = m.op;
		d->port = m.port;
		d->rule = m.hit;
		__builtin_memcpy(d->path, m.path, sizeof(d->path));
		bpf_probe_read_user_str(d->fn, sizeof(d->fn), (void *)ctx->fn.ptr);
		bpf_ringbuf_submit(d, 0);
	}
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
