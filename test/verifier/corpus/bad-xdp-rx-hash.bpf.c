// Near miss: an XDP program steering flows by the NIC's RSS hash through the
// bpf_xdp_metadata_rx_hash kfunc, loaded as an ordinary XDP program. The metadata kfuncs are
// implemented by the device's driver, so the kernel takes them only in a program bound to a
// device at load time (prog_ifindex, BPF_F_XDP_DEV_BOUND_ONLY), whatever the code around.
#include "corpus.h"

int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash, enum xdp_rss_hash_type *rss_type) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} buckets SEC(".maps");

SEC("xdp")
int steer_by_hash(struct xdp_md *ctx)
{
	enum xdp_rss_hash_type type;
	__u32 hash = 0, slot;
	__u64 *count;

	if (bpf_xdp_metadata_rx_hash(ctx, &hash, &type))
		return XDP_PASS;
	slot = hash & 63;
	count = bpf_map_lookup_elem(&buckets, &slot);
	if (count)
		(*count)++;
	return XDP_PASS;
}
