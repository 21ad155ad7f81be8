; XDP: count frames by EtherType in a hash map (see the maps after a run over a capture).
; The map is declared with the playground's .map NAME TYPE KEY VALUE MAX_ENTRIES.
.map counts hash 4 8 64
  r6 = *(u32 *)(r1 + 0)        ; ctx->data
  r7 = *(u32 *)(r1 + 4)        ; ctx->data_end
  r2 = r6
  r2 += 14
  if r2 > r7 goto pass         ; shorter than an Ethernet header
  r3 = *(u16 *)(r6 + 12)
  r3 = be16 r3                 ; the EtherType
  *(u32 *)(r10 - 4) = r3       ; the key
  r1 = map[counts] ll
  r2 = r10
  r2 += -4
  call 1                       ; bpf_map_lookup_elem(&counts, &key)
  if r0 == 0 goto first        ; not counted yet
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1  ; an atomic add: other CPUs count too
  goto pass
first:
  r1 = 1
  *(u64 *)(r10 - 16) = r1      ; the value: 1
  r1 = map[counts] ll
  r2 = r10
  r2 += -4
  r3 = r10
  r3 += -16
  r4 = 0                       ; BPF_ANY
  call 2                       ; bpf_map_update_elem(&counts, &key, &value, BPF_ANY)
pass:
  r0 = 2                       ; XDP_PASS
  exit
