/**
 * @fileoverview The kernel's LRU lists (kernel/bpf/bpf_lru_list.c) step for step, so an
 * lru_hash evicts the keys the kernel evicts: a common LRU (active and inactive lists
 * shared by all CPUs, a free list, and per-CPU local free and pending lists that take
 * nodes in batches) or, with BPF_F_NO_COMMON_LRU, one LRU per CPU. Nodes are element
 * numbers; the lists are circular doubly linked lists in typed arrays, a head per list.
 */

/** LOCAL_FREE_TARGET, which is also LOCAL_NR_SCANS */
const LOCAL_FREE_TARGET = 128;
/** PERCPU_FREE_TARGET, which is also PERCPU_NR_SCANS */
const PERCPU_FREE_TARGET = 4;

/** enum bpf_lru_list_type */
const enum T {
  /** BPF_LRU_LIST_T_ACTIVE */ Active = 0,
  /** BPF_LRU_LIST_T_INACTIVE */ Inactive = 1,
  /** BPF_LRU_LIST_T_FREE */ Free = 2,
  /** BPF_LRU_LOCAL_LIST_T_FREE */ LocalFree = 3,
  /** BPF_LRU_LOCAL_LIST_T_PENDING */ LocalPending = 4,
}

/** One struct bpf_lru_list: heads of its three lists at base, base + 1, base + 2. */
interface LruList { readonly base: number; readonly counts: [number, number]; nextInactiveRotation: number }

/**
 * `del(node)` removes the node's element from the hash table (htab_lru_map_delete_node)
 * and says whether it was there.
 */
/**
 * The nodes' reference bits, a byte each: by default an array of the list's own; a map
 * whose lookups a JIT compiles inline keeps them in linear memory, where that code sets them.
 */
export interface LruRefs {
  get(node: number): number;
  set(node: number, bit: number): void;
}

function arrayRefs(n: number): LruRefs {
  const bits = new Uint8Array(n);
  return { get: (node) => bits[node]!, set: (node, bit) => { bits[node] = bit; } };
}

export class Lru {
  readonly nrScans: number;
  readonly targetFree: number;
  readonly #n: number;
  readonly #cpus: number;
  readonly #percpu: boolean;
  readonly #next: Int32Array;
  readonly #prev: Int32Array;
  readonly #type: Uint8Array;
  readonly #ref: LruRefs;
  readonly #cpu: Int32Array;
  readonly #lists: LruList[] = [];
  readonly #nextSteal: Int32Array;
  readonly #tmp: number;
  readonly #del: (node: number) => boolean;

  constructor(n: number, cpus: number, percpu: boolean, del: (node: number) => boolean, refs?: LruRefs) {
    this.#n = n;
    this.#cpus = cpus;
    this.#percpu = percpu;
    this.#del = del;
    // Heads: percpu, 3 per CPU; common, 3 shared then pending and local free per CPU; one scratch head.
    const heads = percpu ? 3 * cpus + 1 : 3 + 2 * cpus + 1;
    this.#next = new Int32Array(n + heads);
    this.#prev = new Int32Array(n + heads);
    for (let h = n; h < n + heads; h++) this.#next[h] = this.#prev[h] = h;
    this.#type = new Uint8Array(n);
    this.#ref = refs ?? arrayRefs(n);
    this.#cpu = new Int32Array(n);
    this.#tmp = n + heads - 1;
    this.#nextSteal = Int32Array.from({ length: cpus }, (_, c) => c);
    const list = (base: number): LruList => ({ base, counts: [0, 0], nextInactiveRotation: base + T.Inactive });
    if (percpu) {
      for (let c = 0; c < cpus; c++) this.#lists.push(list(n + 3 * c));
      this.nrScans = PERCPU_FREE_TARGET;
      this.targetFree = PERCPU_FREE_TARGET;
      // bpf_percpu_lru_populate: n / cpus nodes to each CPU, in order. Listed from the
      // last so that the first nodes are the first taken (node identity is not visible).
      const per = Math.floor(n / cpus);
      for (let i = n - 1; i >= 0; i--) {
        const c = Math.min(Math.floor(i / per), cpus - 1);
        this.#cpu[i] = c;
        this.#type[i] = T.Free;
        this.#add(i, this.#lists[c]!.base + T.Free);
      }
    } else {
      this.#lists.push(list(n));
      this.nrScans = LOCAL_FREE_TARGET;
      for (let i = n - 1; i >= 0; i--) {
        this.#type[i] = T.Free;
        this.#add(i, n + T.Free);
      }
      this.targetFree = Math.min(Math.max(Math.floor(Math.floor(n / cpus) / 2), 1), LOCAL_FREE_TARGET);
    }
  }

  #pending(cpu: number): number { return this.#n + 3 + 2 * cpu; }
  #localFree(cpu: number): number { return this.#n + 4 + 2 * cpu; }

  // ---- list_head ----
  #add(node: number, head: number): void {
    const first = this.#next[head]!;
    this.#next[node] = first; this.#prev[node] = head;
    this.#prev[first] = node; this.#next[head] = node;
  }
  #del_(node: number): void {
    const p = this.#prev[node]!, x = this.#next[node]!;
    this.#next[p] = x; this.#prev[x] = p;
  }
  #move(node: number, head: number): void { this.#del_(node); this.#add(node, head); }
  #empty(head: number): boolean { return this.#next[head] === head; }

  #countInc(l: LruList, t: number): void { if (t < 2) l.counts[t as 0 | 1]++; }
  #countDec(l: LruList, t: number): void { if (t < 2) l.counts[t as 0 | 1]--; }

  /** __bpf_lru_node_move_to_free */
  #moveToFree(l: LruList, node: number, freeHead: number, t: T): void {
    if (node === l.nextInactiveRotation) l.nextInactiveRotation = this.#prev[node]!;
    this.#countDec(l, this.#type[node]!);
    this.#type[node] = t;
    this.#move(node, freeHead);
  }

  /** __bpf_lru_node_move_in */
  #moveIn(l: LruList, node: number, t: T): void {
    this.#countInc(l, t);
    this.#type[node] = t;
    this.#ref.set(node, 0);
    this.#move(node, l.base + t);
  }

  /** __bpf_lru_node_move */
  #moveTo(l: LruList, node: number, t: T): void {
    const from = this.#type[node]!;
    if (from !== t) {
      this.#countDec(l, from);
      this.#countInc(l, t);
      this.#type[node] = t;
    }
    this.#ref.set(node, 0);
    if (node === l.nextInactiveRotation) l.nextInactiveRotation = this.#prev[node]!;
    this.#move(node, l.base + t);
  }

  /** __bpf_lru_list_rotate_active */
  #rotateActive(l: LruList): void {
    const active = l.base + T.Active;
    const first = this.#next[active]!;
    let i = 0;
    for (let node = this.#prev[active]!; node !== active;) {
      const tmp = this.#prev[node]!;
      this.#moveTo(l, node, this.#ref.get(node) ? T.Active : T.Inactive);
      if (++i === this.nrScans || node === first) break;
      node = tmp;
    }
  }

  /** __bpf_lru_list_rotate_inactive */
  #rotateInactive(l: LruList): void {
    const inactive = l.base + T.Inactive;
    if (this.#empty(inactive)) return;
    let last = this.#next[l.nextInactiveRotation]!;
    if (last === inactive) last = this.#next[last]!;
    let cur = l.nextInactiveRotation, next = inactive, i = 0;
    while (i < this.nrScans) {
      if (cur === inactive) { cur = this.#prev[cur]!; continue; }
      next = this.#prev[cur]!;
      if (this.#ref.get(cur)) this.#moveTo(l, cur, T.Active);
      if (cur === last) break;
      cur = next;
      i++;
    }
    l.nextInactiveRotation = next;
  }

  /** __bpf_lru_list_shrink_inactive */
  #shrinkInactive(l: LruList, target: number, freeHead: number, t: T): number {
    const inactive = l.base + T.Inactive;
    let shrunk = 0, i = 0;
    for (let node = this.#prev[inactive]!; node !== inactive;) {
      const tmp = this.#prev[node]!;
      if (this.#ref.get(node)) {
        this.#moveTo(l, node, T.Active);
      } else if (this.#del(node)) {
        this.#moveToFree(l, node, freeHead, t);
        if (++shrunk === target) break;
      }
      if (++i === this.nrScans) break;
      node = tmp;
    }
    return shrunk;
  }

  /** __bpf_lru_list_rotate */
  #rotate(l: LruList): void {
    if (l.counts[T.Inactive] < l.counts[T.Active]) this.#rotateActive(l);
    this.#rotateInactive(l);
  }

  /** __bpf_lru_list_shrink: ref-cleared inactive nodes first, else one node whatever its ref bit. */
  #shrink(l: LruList, target: number, freeHead: number, t: T): number {
    const n = this.#shrinkInactive(l, target, freeHead, t);
    if (n) return n;
    const force = this.#empty(l.base + T.Inactive) ? l.base + T.Active : l.base + T.Inactive;
    for (let node = this.#prev[force]!; node !== force;) {
      const tmp = this.#prev[node]!;
      if (this.#del(node)) {
        this.#moveToFree(l, node, freeHead, t);
        return 1;
      }
      node = tmp;
    }
    return 0;
  }

  /** bpf_lru_list_pop_free_to_local */
  #popFreeToLocal(cpu: number): void {
    const l = this.#lists[0]!;
    // __local_list_flush
    const pending = this.#pending(cpu);
    for (let node = this.#prev[pending]!; node !== pending;) {
      const tmp = this.#prev[node]!;
      this.#moveIn(l, node, this.#ref.get(node) ? T.Active : T.Inactive);
      node = tmp;
    }
    this.#rotate(l);
    const free = l.base + T.Free, tmp = this.#tmp;
    let nfree = 0;
    for (let node = this.#next[free]!; node !== free;) {
      const after = this.#next[node]!;
      this.#moveToFree(l, node, tmp, T.LocalFree);
      if (++nfree === this.targetFree) break;
      node = after;
    }
    if (nfree < this.targetFree) this.#shrink(l, this.targetFree - nfree, tmp, T.LocalFree);
    const local = this.#localFree(cpu);
    for (let node = this.#next[tmp]!; node !== tmp;) {
      const after = this.#next[node]!;
      this.#move(node, local);
      node = after;
    }
  }

  #popLocalFree(cpu: number): number {
    const head = this.#localFree(cpu), node = this.#next[head]!;
    if (node === head) return -1;
    this.#del_(node);
    return node;
  }

  /** __local_list_pop_pending: the oldest unreferenced pending node, else the oldest. */
  #popPending(cpu: number): number {
    const head = this.#pending(cpu);
    for (let force = 0; force < 2; force++) {
      for (let node = this.#prev[head]!; node !== head; node = this.#prev[node]!) {
        if ((!this.#ref.get(node) || force) && this.#del(node)) {
          this.#del_(node);
          return node;
        }
      }
    }
    return -1;
  }

  #addPending(cpu: number, node: number): void {
    this.#cpu[node] = cpu;
    this.#type[node] = T.LocalPending;
    this.#ref.set(node, 0);
    this.#add(node, this.#pending(cpu));
  }

  /** bpf_lru_pop_free: a free node for a new element on `cpu`, evicting as the kernel does; -1 when none. */
  pop(cpu: number): number {
    if (this.#percpu) {
      const l = this.#lists[cpu]!;
      this.#rotate(l);
      const free = l.base + T.Free;
      if (this.#empty(free)) this.#shrink(l, PERCPU_FREE_TARGET, free, T.Free);
      if (this.#empty(free)) return -1;
      const node = this.#next[free]!;
      this.#ref.set(node, 0);
      this.#moveTo(l, node, T.Inactive);
      return node;
    }
    let node = this.#popLocalFree(cpu);
    if (node < 0) {
      this.#popFreeToLocal(cpu);
      node = this.#popLocalFree(cpu);
    }
    if (node >= 0) {
      this.#addPending(cpu, node);
      return node;
    }
    // Steal from the local lists of every CPU in turn, from next_steal on.
    const first = this.#nextSteal[cpu]!;
    let steal = first;
    do {
      node = this.#popLocalFree(steal);
      if (node < 0) node = this.#popPending(steal);
      steal = (steal + 1) % this.#cpus;
    } while (node < 0 && steal !== first);
    this.#nextSteal[cpu] = steal;
    if (node < 0) return -1;
    this.#addPending(cpu, node);
    return node;
  }

  /** bpf_lru_push_free: a node whose element left the table. */
  push(node: number): void {
    if (this.#percpu) {
      this.#moveTo(this.#lists[this.#cpu[node]!]!, node, T.Free);
      return;
    }
    if (this.#type[node] === T.LocalPending) {
      this.#type[node] = T.LocalFree;
      this.#ref.set(node, 0);
      this.#move(node, this.#localFree(this.#cpu[node]!));
      return;
    }
    this.#moveTo(this.#lists[0]!, node, T.Free);
  }

  /** bpf_lru_node_set_ref: a program looked the element up. */
  setRef(node: number): void {
    this.#ref.set(node, 1);
  }
}
