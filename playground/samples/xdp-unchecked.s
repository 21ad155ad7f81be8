; XDP, rejected: the EtherType is read without first proving the frame is 14 bytes long.
; Step through the verifier's states to see R2 as pkt(r=0): no byte of it is readable yet.
  r2 = *(u32 *)(r1 + 0)        ; ctx->data
  r3 = *(u32 *)(r1 + 4)        ; ctx->data_end
  r4 = *(u16 *)(r2 + 12)       ; EtherType: no check against data_end before it
  r0 = 2                       ; XDP_PASS
  if r4 != 0x8 goto out        ; 0x0800 (IPv4) as read on a little-endian host
  r0 = 1                       ; XDP_DROP
out:
  exit
