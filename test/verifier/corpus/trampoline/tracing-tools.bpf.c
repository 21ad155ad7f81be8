// fentry, fexit, fmod_ret and lsm programs in the style of libbpf-tools (tcprtt, fsslower,
// funclatency) and LSM policy tools. This kernel refuses trampoline loads (EPERM), so they
// are judged by tsbpf against the kernel's rules alone (test/verifier/btf-tracing.test.ts):
// every one is meant to load.
#include "../corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u64);
	__type(value, u64);
} start SEC(".maps");

__u64 hist[32];
__u64 denied;

SEC("fentry/tcp_rcv_established")
int BPF_PROG(tcp_rcv, struct sock *sk)
{
	struct tcp_sock *ts = (struct tcp_sock *)sk;
	u32 srtt = BPF_CORE_READ(ts, srtt_us) >> 3;

	if (sk->__sk_common.skc_family != 2 /* AF_INET */)
		return 0;
	hist[srtt & 31]++;
	return 0;
}

SEC("fentry/vfs_read")
int BPF_PROG(vfs_read_entry, struct file *file, char *buf, size_t count, loff_t *pos)
{
	u64 id = bpf_get_current_pid_tgid(), ts = bpf_ktime_get_ns();

	if (file->f_inode->i_ino == 0)
		return 0;
	bpf_map_update_elem(&start, &id, &ts, BPF_ANY);
	return 0;
}

SEC("fexit/vfs_read")
int BPF_PROG(vfs_read_exit, struct file *file, char *buf, size_t count, loff_t *pos, ssize_t ret)
{
	u64 id = bpf_get_current_pid_tgid();
	u64 *tsp = bpf_map_lookup_elem(&start, &id);

	if (!tsp)
		return 0;
	if (ret > 0)
		hist[(bpf_ktime_get_ns() - *tsp) & 31] += ret;
	bpf_map_delete_elem(&start, &id);
	return 0;
}

SEC("lsm/file_mprotect")
int BPF_PROG(mprotect_audit, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot, int ret)
{
	/* An earlier LSM's verdict stands. */
	if (ret != 0)
		return ret;
	if (vma->vm_start >= vma->vm_mm->start_brk && vma->vm_end <= vma->vm_mm->brk && (prot & 4 /* PROT_EXEC */)) {
		denied++;
		return -1 /* -EPERM */;
	}
	return 0;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(exec_check, struct linux_binprm *bprm, int ret)
{
	char comm[16];

	bpf_probe_read_kernel_str(comm, sizeof(comm), bprm->filename);
	return ret;
}

SEC("fmod_ret/security_file_open")
int BPF_PROG(fmod_open, struct file *file, int ret)
{
	return ret ? ret : 0;
}

SEC("fentry/do_unlinkat")
int BPF_PROG(unlink_entry, int dfd, struct filename *name)
{
	char buf[32];

	bpf_probe_read_kernel_str(buf, sizeof(buf), name->name);
	return 0;
}
