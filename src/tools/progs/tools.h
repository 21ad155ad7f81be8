/* What the tools' programs share: BCC's log2 slot of a value (bpf_log2l). */
#ifndef TSBPF_TOOLS_H
#define TSBPF_TOOLS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tsbpf/hooks.h"

/* BCC's bpf_log2l: 0 for 0, else floor(log2(v)) + 1, so slot i holds [2^(i-1), 2^i - 1]. */
static __always_inline __u32 log2l(__u64 v)
{
	__u32 r = 0;
	if (v == 0)
		return 0;
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r + 1;
}

/* The tools' settings, in the array map `config` the tool fills before attaching. */
struct tool_config {
	__u32 unit_ns;   /* histogram unit: 1, 1000 (usecs) or 1000000 (msecs) */
	__u32 per_route; /* httplat -R / gcstat per kind: one histogram per key */
	__u32 failed_only;
	__u32 count;     /* policy: rules in use */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tool_config);
} config SEC(".maps");

static __always_inline struct tool_config *tool_config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&config, &zero);
}

#define ROUTE_LEN 64

/* One histogram slot, within a section (a route, a kind, or "" for all). */
struct hist_key {
	char section[ROUTE_LEN];
	__u32 slot;
};

static __always_inline void hist_add(void *hist, struct hist_key *k)
{
	__u64 one = 1, *n = bpf_map_lookup_elem(hist, k);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(hist, k, &one, BPF_NOEXIST);
}

#endif
