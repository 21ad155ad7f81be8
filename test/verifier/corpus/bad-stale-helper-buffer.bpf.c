// Near miss in the style of cgroup/sysctl policy programs: the name buffer is zeroed, filled
// by bpf_sysctl_get_name (which writes it: ARG_PTR_TO_MEM | MEM_WRITE), and an "empty name"
// guard is taken as enough before the per-sysctl policy lookup is used unchecked. A verifier
// that kept the zeros across the helper would think the lookup unreachable.
#include "corpus.h"

#define NAME_LEN 32

struct policy {
	__u32 deny_write;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[NAME_LEN]);
	__type(value, struct policy);
} policies SEC(".maps");

SEC("cgroup/sysctl")
int sysctl_policy(struct bpf_sysctl *ctx)
{
	char name[NAME_LEN];
	struct policy *p;

	__builtin_memset(name, 0, sizeof(name));
	if (bpf_sysctl_get_name(ctx, name, sizeof(name), 0) < 0)
		return 1;
	if (name[0] == '\0')
		return 1;
	p = bpf_map_lookup_elem(&policies, name);
	return ctx->write && p->deny_write ? 0 : 1;
}
