// Near miss: a BPF congestion control that also raises the window clamp when it grows the
// window. A tcp_congestion_ops program may write only a few tcp_sock members (the window,
// ssthresh, pacing, its icsk_ca_priv area); snd_cwnd_clamp is not one of them.
#include "corpus.h"

SEC("struct_ops")
void BPF_PROG(grow_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;

	tp->snd_cwnd += acked;
	if (tp->snd_cwnd > tp->snd_cwnd_clamp)
		tp->snd_cwnd_clamp = tp->snd_cwnd;
}

SEC(".struct_ops")
struct tcp_congestion_ops grow = {
	.cong_avoid = (void *)grow_cong_avoid,
	.name = "bpf_grow",
};
