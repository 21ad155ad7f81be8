// Imitates a socket inventory tool (ss-like) walking unix sockets with a BPF iterator: a
// bound socket's path is `unix_sk(sk)->addr->name[0].sun_path`, and `name` is the trailing
// flexible array of struct unix_address, so every read of it lies past the struct's size
// (the kernel reads such bytes as the array's element struct).
#include "corpus.h"

SEC("iter/unix")
int dump_unix(struct bpf_iter__unix *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct unix_sock *unix_sk = ctx->unix_sk;
	struct unix_address *addr;
	char path[16] = {};

	if (!unix_sk)
		return 0;
	addr = unix_sk->addr;
	if (!addr || addr->len <= sizeof(short))
		return 0;
	/* sun_path[0] == 0 marks an abstract name; copy the first bytes either way. */
	path[0] = addr->name[0].sun_path[0] ? addr->name[0].sun_path[0] : '@';
	bpf_probe_read_kernel(&path[1], sizeof(path) - 2, &addr->name[0].sun_path[1]);
	BPF_SEQ_PRINTF(seq, "%lu %s\n", unix_sk->sk.__sk_common.skc_family, path);
	return 0;
}
