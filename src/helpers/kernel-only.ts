/**
 * @fileoverview Why the runtime refuses the helpers it does not run: those that act on the
 * kernel itself (signals, other processes' memory, the LSM, the bpf syscall) have their
 * reason here; any other helper without an implementation is "not implemented".
 */

/** Reasons by helper id (enum bpf_func_id), for helpers that only make sense inside a kernel. */
export const KERNEL_ONLY: ReadonlyMap<number, string> = new Map([
  /** BPF_FUNC_probe_write_user */ [36, "it writes another process's memory"],
  /** BPF_FUNC_override_return */ [58, "it changes a kernel function's return value"],
  /** BPF_FUNC_rc_repeat */ [77, "it reports to a kernel IR decoder"],
  /** BPF_FUNC_rc_keydown */ [78, "it reports to a kernel IR decoder"],
  /** BPF_FUNC_rc_pointer_rel */ [92, "it reports to a kernel IR decoder"],
  /** BPF_FUNC_send_signal */ [109, "it signals a process"],
  /** BPF_FUNC_send_signal_thread */ [117, "it signals a thread"],
  /** BPF_FUNC_read_branch_records */ [119, "it reads the CPU's branch records"],
  /** BPF_FUNC_d_path */ [147, "it resolves a kernel struct path"],
  /** BPF_FUNC_bprm_opts_set */ [159, "it changes an exec in progress"],
  /** BPF_FUNC_ima_inode_hash */ [161, "it asks the kernel's IMA"],
  /** BPF_FUNC_ima_file_hash */ [193, "it asks the kernel's IMA"],
  /** BPF_FUNC_sys_bpf */ [166, "it makes bpf() system calls"],
  /** BPF_FUNC_sys_close */ [168, "it closes a file descriptor of the process"],
  /** BPF_FUNC_btf_find_by_name_kind */ [167, "it searches the kernel's BTF"],
  /** BPF_FUNC_kallsyms_lookup_name */ [179, "it looks up kernel symbols"],
  /** BPF_FUNC_get_branch_snapshot */ [176, "it reads the CPU's last branch records"],
  /** BPF_FUNC_perf_prog_read_value */ [56, "it reads a hardware perf counter"],
  /** BPF_FUNC_task_pt_regs */ [175, "it reads a task's saved registers"],
]);
