/* The empty hook programs the bench attaches: what a hook hit costs with nothing to do. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tsbpf/hooks.h"

SEC("tsbpf/dc/http.server.request.start")
int empty_dc(struct tsbpf_dc_ctx *ctx) { return 0; }

SEC("tsbpf/fentry/globalThis.tsbpfBenchFn")
int empty_fentry(struct tsbpf_fn_ctx *ctx) { return 0; }

SEC("tsbpf/policy/fs.open")
int empty_policy(struct tsbpf_policy_ctx *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";
