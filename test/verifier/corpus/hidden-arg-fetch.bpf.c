// Imitates libbpf's usdt.bpf.h: argument fetchers compiled as global but __hidden functions.
// libbpf gives such functions static BTF linkage, so the kernel checks them in their caller's
// context; they write through an out-pointer they never test for NULL, which a global
// function (verified alone, its pointer argument possibly NULL) could not do.
#include "corpus.h"

#define MAX_ARGS 4

struct arg_loc {
	__u64 val_off;
	__u8 kind; /* 0: constant, 1: user memory at val_off */
	__s8 shift;
};

struct probe_spec {
	struct arg_loc args[MAX_ARGS];
	__u16 arg_cnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct probe_spec);
} probe_specs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} arg_sums SEC(".maps");

__weak __hidden int fetch_arg(void *ctx, __u32 spec_id, __u64 n, long *res)
{
	struct probe_spec *spec;
	struct arg_loc *loc;
	unsigned long val;

	*res = 0;
	spec = bpf_map_lookup_elem(&probe_specs, &spec_id);
	if (!spec)
		return -3;
	if (n >= MAX_ARGS || n >= spec->arg_cnt)
		return -2;
	loc = &spec->args[n];
	switch (loc->kind) {
	case 0:
		val = loc->val_off;
		break;
	case 1:
		if (bpf_probe_read_user(&val, sizeof(val), (void *)loc->val_off))
			return -14;
		break;
	default:
		return -22;
	}
	if (loc->shift < 0)
		val >>= (-loc->shift) & 63;
	*res = val;
	return 0;
}

SEC("uprobe")
int on_marker(struct pt_regs *ctx)
{
	__u32 spec_id = bpf_get_attach_cookie(ctx) & 15, zero = 0;
	long a0, a1;
	__u64 *sum;

	if (fetch_arg(ctx, spec_id, 0, &a0))
		return 0;
	if (fetch_arg(ctx, spec_id, 1, &a1))
		a1 = 0;
	sum = bpf_map_lookup_elem(&arg_sums, &zero);
	if (sum)
		*sum += a0 + a1;
	return 0;
}
