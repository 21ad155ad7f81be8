/* A test policy: deny fs opens, unlinks and spawns whose path starts with the prefix in
 * `rule`, and connects to the port in `rule`; count decisions per op. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tsbpf/hooks.h"

struct rule {
	char prefix[64];
	__u32 len;
	__u32 port;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rule);
} rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} denied SEC(".maps");

static __always_inline int deny(struct tsbpf_policy_ctx *ctx)
{
	__u32 op = ctx->op;
	__u64 *n = bpf_map_lookup_elem(&denied, &op);
	if (n)
		__sync_fetch_and_add(n, 1);
	return 1;
}

static __always_inline int by_prefix(struct tsbpf_policy_ctx *ctx)
{
	__u32 zero = 0;
	char path[64] = {};
	struct rule *r = bpf_map_lookup_elem(&rules, &zero);
	if (!r || r->len == 0 || r->len > sizeof(path))
		return 0;
	if (bpf_probe_read_user_str(path, sizeof(path), (void *)ctx->path.ptr) < 0)
		return 0;
	for (int i = 0; i < 64; i++) {
		if (i >= r->len)
			return deny(ctx);
		if (path[i] != r->prefix[i])
			return 0;
	}
	return deny(ctx);
}

SEC("tsbpf/policy/fs.open")
int open_rule(struct tsbpf_policy_ctx *ctx) { return by_prefix(ctx); }

SEC("tsbpf/policy/fs.unlink")
int unlink_rule(struct tsbpf_policy_ctx *ctx) { return by_prefix(ctx); }

SEC("tsbpf/policy/child_process.spawn")
int spawn_rule(struct tsbpf_policy_ctx *ctx) { return by_prefix(ctx); }

SEC("tsbpf/policy/net.connect")
int connect_rule(struct tsbpf_policy_ctx *ctx)
{
	__u32 zero = 0;
	struct rule *r = bpf_map_lookup_elem(&rules, &zero);
	if (r && r->port && ctx->port == r->port)
		return deny(ctx);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
