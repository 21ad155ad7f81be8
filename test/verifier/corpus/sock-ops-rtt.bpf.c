// Imitates a sock_ops RTT/tuning program: enable the RTT and state callbacks on established
// connections, tune the initial window for local peers, and keep per-port RTT stats.
#include "corpus.h"

#define SOL_TCP 6
#define TCP_BPF_IW 1001

struct rtt_stat { __u64 count; __u64 sum_us; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct rtt_stat);
} rtt SEC(".maps");

SEC("sockops")
int sockops_rtt(struct bpf_sock_ops *skops)
{
	int rv = 0;
	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB: {
		int iw = 40;
		if ((skops->remote_ip4 & 0xff) == 10)
			rv = bpf_setsockopt(skops, SOL_TCP, TCP_BPF_IW, &iw, sizeof(iw));
		break;
	}
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		rv = bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_RTT_CB_FLAG | BPF_SOCK_OPS_STATE_CB_FLAG);
		break;
	case BPF_SOCK_OPS_RTT_CB: {
		__u32 port = bpf_ntohl(skops->remote_port) >> 16;
		struct rtt_stat *s = bpf_map_lookup_elem(&rtt, &port);
		if (!s) {
			struct rtt_stat z = {};
			bpf_map_update_elem(&rtt, &port, &z, BPF_NOEXIST);
			s = bpf_map_lookup_elem(&rtt, &port);
			if (!s)
				break;
		}
		__sync_fetch_and_add(&s->count, 1);
		__sync_fetch_and_add(&s->sum_us, skops->srtt_us >> 3);
		break;
	}
	default:
		rv = -1;
	}
	skops->reply = rv;
	return 1;
}
