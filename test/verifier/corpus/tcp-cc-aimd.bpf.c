// Imitates a congestion control written in BPF (bpf_cubic / bpf_dctcp style): a
// tcp_congestion_ops struct_ops map whose members are programs. Each program's ctx is the
// member's arguments; the `struct sock *` is read as the tcp_sock it is, the control's own
// state lives in icsk_ca_priv (written through inet_csk_ca), snd_cwnd and snd_ssthresh are
// written directly, the void members never set r0, and cwnd_event calls bpf_tcp_send_ack.
#include "corpus.h"

#define TCP_INFINITE_SSTHRESH 0x7fffffff

struct aimd {
	__u32 acked;
	__u32 loss_cwnd;
	__u32 events;
};

static struct aimd *ca_of(struct sock *sk)
{
	return (void *)((struct inet_connection_sock *)sk)->icsk_ca_priv;
}

SEC("struct_ops")
void BPF_PROG(aimd_init, struct sock *sk)
{
	struct aimd *ca = ca_of(sk);

	ca->acked = 0;
	ca->loss_cwnd = 0;
	ca->events = 0;
}

SEC("struct_ops")
__u32 BPF_PROG(aimd_ssthresh, struct sock *sk)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	__u32 half = tp->snd_cwnd >> 1;

	ca_of(sk)->loss_cwnd = tp->snd_cwnd;
	return half < 2 ? 2 : half;
}

SEC("struct_ops")
void BPF_PROG(aimd_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	struct aimd *ca = ca_of(sk);

	if (tp->snd_cwnd < tp->snd_ssthresh) {
		tp->snd_cwnd += acked;
		return;
	}
	ca->acked += acked;
	if (ca->acked >= tp->snd_cwnd) {
		ca->acked -= tp->snd_cwnd;
		if (tp->snd_cwnd < tp->snd_cwnd_clamp)
			tp->snd_cwnd++;
	}
}

SEC("struct_ops")
void BPF_PROG(aimd_cwnd_event, struct sock *sk, enum tcp_ca_event ev)
{
	struct aimd *ca = ca_of(sk);

	ca->events++;
	if (ev == CA_EVENT_ECN_IS_CE)
		bpf_tcp_send_ack(sk, ((struct tcp_sock *)sk)->rcv_nxt);
}

SEC("struct_ops")
__u32 BPF_PROG(aimd_undo_cwnd, struct sock *sk)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	__u32 loss = ca_of(sk)->loss_cwnd;

	return loss > tp->snd_cwnd ? loss : tp->snd_cwnd;
}

SEC(".struct_ops")
struct tcp_congestion_ops aimd = {
	.init = (void *)aimd_init,
	.ssthresh = (void *)aimd_ssthresh,
	.cong_avoid = (void *)aimd_cong_avoid,
	.cwnd_event = (void *)aimd_cwnd_event,
	.undo_cwnd = (void *)aimd_undo_cwnd,
	.name = "bpf_aimd",
};
