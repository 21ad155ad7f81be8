// Near misses: tp_btf arguments the kernel lists as maybe NULL (raw_tp_null_args), read
// without a check: kfree_skb's receiving socket, sched_pi_setprio's priority donor.
#include "corpus.h"

__u64 rcvbuf;
__u32 donor_pid;

SEC("tp_btf/kfree_skb")
int drop_socket_rcvbuf(u64 *ctx)
{
	struct sock *rx_sk = (void *)ctx[3];

	rcvbuf = rx_sk->sk_rcvbuf;
	return 0;
}

SEC("tp_btf/sched_pi_setprio")
int pi_donor(u64 *ctx)
{
	struct task_struct *pi_task = (void *)ctx[1];

	donor_pid = pi_task->pid;
	return 0;
}
