/* Test function probes: the entry of fs.readFileSync (its first argument's string and
 * the argument count), and the return of fs.promises.readFile (duration, result size). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tsbpf/hooks.h"

struct seen {
	__u64 calls;
	__u64 returns;
	__u32 nargs;
	__u32 arg0_type;
	__u32 arg0_len;
	__u32 arg1_type;
	char arg0[64];
	__u64 duration_ns;
	__u32 ret_type;
	__u32 ret_len;
	__u32 threw;
	__u32 _pad;
	__s64 num;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct seen);
} seen SEC(".maps");

SEC("tsbpf/fentry/fs.readFileSync")
int read_entry(struct tsbpf_fn_ctx *ctx)
{
	__u32 k = 0;
	struct seen *s = bpf_map_lookup_elem(&seen, &k);
	if (!s)
		return 0;
	s->calls++;
	s->nargs = ctx->nargs;
	s->arg0_type = ctx->args[0].type;
	s->arg0_len = ctx->args[0].len;
	s->arg1_type = ctx->args[1].type;
	bpf_probe_read_user_str(s->arg0, sizeof(s->arg0), (void *)ctx->args[0].str.ptr);
	return 0;
}

SEC("tsbpf/fexit/fs.promises.readFile")
int read_return(struct tsbpf_fn_ctx *ctx)
{
	__u32 k = 1;
	struct seen *s = bpf_map_lookup_elem(&seen, &k);
	if (!s)
		return 0;
	s->returns++;
	s->duration_ns = ctx->duration_ns;
	s->ret_type = ctx->ret.type;
	s->ret_len = ctx->ret.len;
	s->threw = ctx->threw;
	s->num = ctx->args[1].num;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
