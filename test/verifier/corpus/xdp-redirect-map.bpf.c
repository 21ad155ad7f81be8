// Imitates xdp-tools' xdp-forward: redirect by ingress ifindex through a devmap (with the
// fallback action in the flags), or spread flows over CPUs through a cpumap.
#include "xdp-parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

const volatile __u32 ncpus = 2;

SEC("xdp")
int xdp_forward(struct xdp_md *ctx)
{
	__u32 port = ctx->ingress_ifindex & 63;
	return bpf_redirect_map(&tx_ports, port, XDP_PASS);
}

SEC("xdp")
int xdp_spread(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct hdr_cursor c = { data };
	struct ethhdr *eth;
	if (parse_ethhdr(&c, end, &eth) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = c.pos;
	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	__u32 h = ip->saddr * 2654435761u ^ ip->daddr;
	__u32 cpu = ncpus ? h % ncpus : 0;
	return bpf_redirect_map(&cpus, cpu, 0);
}
