; XDP: print each frame's EtherType with bpf_trace_printk (the run pane shows what it
; printed), then pass the frame. The format string is built on the stack.
  r2 = *(u32 *)(r1 + 0)        ; ctx->data
  r3 = *(u32 *)(r1 + 4)        ; ctx->data_end
  r4 = r2
  r4 += 14
  if r4 > r3 goto pass         ; shorter than an Ethernet header
  r3 = *(u16 *)(r2 + 12)       ; the EtherType, network order
  r3 = be16 r3
  r1 = 0x00000a7825207465 ll   ; "et %x\n" and its NUL, little-endian
  *(u64 *)(r10 - 8) = r1
  r1 = r10
  r1 += -8                     ; fmt
  r2 = 7                       ; its size, NUL included
  call 6                       ; bpf_trace_printk(fmt, 7, EtherType)
pass:
  r0 = 2                       ; XDP_PASS
  exit
