/**
 * The kernel's LRU for `BPF_MAP_TYPE_LRU_HASH` / `LRU_PERCPU_HASH` (kernel/bpf/bpf_lru_list.c),
 * modelled node for node so that which keys an insertion evicts is what the kernel evicts — not a
 * textbook LRU. Nodes are the map's element slots. The common LRU keeps a global active/inactive/
 * free list plus, per CPU, a pending list (nodes handed out since the last flush) and a stack of
 * free nodes taken from the global list in batches of `targetFree`; the per-CPU LRU
 * (`BPF_F_NO_COMMON_LRU`) keeps one active/inactive/free list per CPU. A lookup from a program
 * sets a node's reference bit; rotations move referenced nodes to the active list and shrinking
 * frees unreferenced inactive ones — several at a time — through `evict`.
 */

const enum T {
  Active = 0,
  Inactive = 1,
  Free = 2,
  LocalFree = 3,
  LocalPending = 4,
}

/** The common LRU hands out free nodes to a CPU in batches of at most this many. */
const LOCAL_FREE_TARGET = 128;
const PERCPU_FREE_TARGET = 4;

/** A list link: a list's sentinel (node -1) or a node's membership. */
class Link {
  prev: Link = this;
  next: Link = this;
  constructor(readonly node: number) {}
}

function listAdd(link: Link, head: Link): void {
  link.next = head.next;
  link.prev = head;
  head.next.prev = link;
  head.next = link;
}

function listDel(link: Link): void {
  link.prev.next = link.next;
  link.next.prev = link.prev;
  link.prev = link;
  link.next = link;
}

function listMove(link: Link, head: Link): void {
  listDel(link);
  listAdd(link, head);
}

const isEmpty = (head: Link): boolean => head.next === head;

/*
 * Walks go as the kernel's list_for_each_entry_safe(_reverse): the neighbour is taken before the
 * node is handled, which may move the node (and only it) to another list or to the head of its own.
 * No snapshot array is made (they were most of the LRU's allocations).
 */

interface NodeState {
  type: T;
  ref: boolean;
  cpu: number;
  link: Link;
}

class LruList {
  readonly lists = [new Link(-1), new Link(-1), new Link(-1)];
  readonly counts = [0, 0];
  nextInactiveRotation: Link;
  constructor() {
    this.nextInactiveRotation = this.lists[T.Inactive]!;
  }
}

class LocalList {
  readonly pending = new Link(-1);
  /**
   * The lock-free free list: a stack (llist_add pushes at the head, llist_del_first pops it), its
   * head at the array's end (push/pop; unshift and shift were runtime calls moving every element).
   */
  readonly free: number[] = [];
  nextSteal: number;
  constructor(cpu: number) {
    this.nextSteal = cpu;
  }
}

export interface LruOptions {
  /** Elements (the map's max_entries). */
  nodes: number;
  /** Possible CPUs. */
  cpus: number;
  /** BPF_F_NO_COMMON_LRU: one LRU per CPU. */
  perCpuLists: boolean;
  /** Removes the element of `node` from the hash table; false when the node is not in it. */
  evict: (node: number) => boolean;
}

export class KernelLru {
  private readonly nodes: NodeState[] = [];
  private readonly perCpuLists: boolean;
  private readonly cpus: number;
  private readonly evict: (node: number) => boolean;
  private readonly nrScans: number;
  private readonly targetFree: number;
  private readonly global = new LruList();
  private readonly locals: LocalList[] = [];
  private readonly percpu: LruList[] = [];
  /** popFreeToLocal's temporary list (empty between calls). */
  private readonly harvest = new Link(-1);

  constructor(o: LruOptions) {
    this.perCpuLists = o.perCpuLists;
    this.cpus = o.cpus;
    this.evict = o.evict;
    this.nrScans = o.perCpuLists ? PERCPU_FREE_TARGET : LOCAL_FREE_TARGET;
    this.targetFree = Math.min(Math.max(Math.floor(Math.floor(o.nodes / o.cpus) / 2), 1), LOCAL_FREE_TARGET);
    for (let i = 0; i < o.nodes; i++) this.nodes.push({ type: T.Free, ref: false, cpu: 0, link: new Link(i) });
    if (o.perCpuLists) {
      for (let c = 0; c < o.cpus; c++) this.percpu.push(new LruList());
      const per = Math.floor(o.nodes / o.cpus);
      let i = 0;
      for (let c = 0; c < o.cpus && i < o.nodes; c++) {
        do {
          const n = this.nodes[i]!;
          n.cpu = c;
          listAdd(n.link, this.percpu[c]!.lists[T.Free]!);
          i++;
        } while (i < o.nodes && i % per !== 0);
      }
    } else {
      for (let c = 0; c < o.cpus; c++) this.locals.push(new LocalList(c));
      for (const n of this.nodes) listAdd(n.link, this.global.lists[T.Free]!);
    }
  }

  /** A lookup from a program marks the node referenced. */
  setRef(node: number): void {
    this.nodes[node]!.ref = true;
  }

  /** A free node for a new element on CPU `cpu` (evicting if it must), or -1. */
  pop(cpu: number): number {
    return this.perCpuLists ? this.percpuPop(cpu) : this.commonPop(cpu);
  }

  /** Gives back the node of a deleted or replaced element. */
  pushFree(node: number): void {
    const n = this.nodes[node]!;
    if (this.perCpuLists) {
      this.move(this.percpu[n.cpu]!, n, T.Free);
      return;
    }
    if (n.type === T.LocalPending) {
      n.type = T.LocalFree;
      n.ref = false;
      listDel(n.link);
      this.locals[n.cpu]!.free.push(node);
      return;
    }
    this.move(this.global, n, T.Free);
  }

  // ---- list primitives (the kernel's __bpf_lru_node_move*) ----------------------------------
  private countInc(l: LruList, t: T): void {
    if (t < 2) l.counts[t]!++;
  }
  private countDec(l: LruList, t: T): void {
    if (t < 2) l.counts[t]!--;
  }

  private moveToFree(l: LruList, n: NodeState, freeList: Link, t: T): void {
    if (n.link === l.nextInactiveRotation) l.nextInactiveRotation = l.nextInactiveRotation.prev;
    this.countDec(l, n.type);
    n.type = t;
    listMove(n.link, freeList);
  }

  private moveIn(l: LruList, n: NodeState, t: T): void {
    this.countInc(l, t);
    n.type = t;
    n.ref = false;
    listMove(n.link, l.lists[t]!);
  }

  private move(l: LruList, n: NodeState, t: T): void {
    if (n.type !== t) {
      this.countDec(l, n.type);
      this.countInc(l, t);
      n.type = t;
    }
    n.ref = false;
    if (n.link === l.nextInactiveRotation) l.nextInactiveRotation = l.nextInactiveRotation.prev;
    listMove(n.link, l.lists[t]!);
  }

  private node(link: Link): NodeState {
    return this.nodes[link.node]!;
  }

  // ---- rotation and shrinking ---------------------------------------------------------------
  private rotateActive(l: LruList): void {
    const active = l.lists[T.Active]!;
    if (isEmpty(active)) return;
    const first = active.next;
    let i = 0;
    for (let link = active.prev, prev = link.prev; link !== active; link = prev, prev = link.prev) {
      const n = this.node(link);
      this.move(l, n, n.ref ? T.Active : T.Inactive);
      if (++i === this.nrScans || link === first) break;
    }
  }

  private rotateInactive(l: LruList): void {
    const inactive = l.lists[T.Inactive]!;
    if (isEmpty(inactive)) return;
    let last = l.nextInactiveRotation.next;
    if (last === inactive) last = last.next;
    let cur = l.nextInactiveRotation;
    let next: Link = inactive;
    let i = 0;
    while (i < this.nrScans) {
      if (cur === inactive) {
        cur = cur.prev;
        continue;
      }
      const n = this.node(cur);
      next = cur.prev;
      if (n.ref) this.move(l, n, T.Active);
      if (cur === last) break;
      cur = next;
      i++;
    }
    l.nextInactiveRotation = next;
  }

  private rotate(l: LruList): void {
    if (l.counts[T.Inactive]! < l.counts[T.Active]!) this.rotateActive(l);
    this.rotateInactive(l);
  }

  private shrinkInactive(l: LruList, target: number, freeList: Link, t: T): number {
    let shrunk = 0;
    let i = 0;
    const inactive = l.lists[T.Inactive]!;
    for (let link = inactive.prev, prev = link.prev; link !== inactive; link = prev, prev = link.prev) {
      const n = this.node(link);
      if (n.ref) {
        this.move(l, n, T.Active);
      } else if (this.evict(link.node)) {
        this.moveToFree(l, n, freeList, t);
        if (++shrunk === target) break;
      }
      if (++i === this.nrScans) break;
    }
    return shrunk;
  }

  private shrink(l: LruList, target: number, freeList: Link, t: T): number {
    const shrunk = this.shrinkInactive(l, target, freeList, t);
    if (shrunk) return shrunk;
    // Nothing unreferenced: evict one node regardless of its reference bit, inactive list first.
    const force = isEmpty(l.lists[T.Inactive]!) ? l.lists[T.Active]! : l.lists[T.Inactive]!;
    for (let link = force.prev; link !== force; link = link.prev) {
      if (this.evict(link.node)) {
        this.moveToFree(l, this.node(link), freeList, t);
        return 1;
      }
    }
    return 0;
  }

  // ---- the common LRU -------------------------------------------------------------------------
  private flushLocal(loc: LocalList): void {
    const pending = loc.pending;
    for (let link = pending.prev, prev = link.prev; link !== pending; link = prev, prev = link.prev) {
      const n = this.node(link);
      this.moveIn(this.global, n, n.ref ? T.Active : T.Inactive);
    }
  }

  private popFreeToLocal(loc: LocalList): void {
    const l = this.global;
    this.flushLocal(loc);
    this.rotate(l);
    // Harvest into a temporary list (list_move adds at its head), then push each on the local stack.
    const tmp = this.harvest;
    let nfree = 0;
    const free = l.lists[T.Free]!;
    for (let link = free.next, next = link.next; link !== free; link = next, next = link.next) {
      this.moveToFree(l, this.node(link), tmp, T.LocalFree);
      if (++nfree === this.targetFree) break;
    }
    if (nfree < this.targetFree) this.shrink(l, this.targetFree - nfree, tmp, T.LocalFree);
    for (let link = tmp.next, next = link.next; link !== tmp; link = next, next = link.next) {
      listDel(link);
      loc.free.push(link.node);
    }
  }

  private addPending(loc: LocalList, cpu: number, node: number): void {
    const n = this.nodes[node]!;
    n.cpu = cpu;
    n.type = T.LocalPending;
    n.ref = false;
    listAdd(n.link, loc.pending);
  }

  private popPending(loc: LocalList): number {
    const pending = loc.pending;
    for (let force = 0; force < 2; force++) {
      for (let link = pending.prev; link !== pending; link = link.prev) {
        const n = this.node(link);
        if ((!n.ref || force === 1) && this.evict(link.node)) {
          listDel(link);
          return link.node;
        }
      }
    }
    return -1;
  }

  private commonPop(cpu: number): number {
    const loc = this.locals[cpu]!;
    let node = loc.free.pop() ?? -1;
    if (node < 0) {
      this.popFreeToLocal(loc);
      node = loc.free.pop() ?? -1;
    }
    if (node >= 0) {
      this.addPending(loc, cpu, node);
      return node;
    }
    // Nothing free anywhere: steal from the CPUs' local lists, round robin from next_steal.
    const first = loc.nextSteal;
    let steal = first;
    do {
      const victim = this.locals[steal]!;
      node = victim.free.pop() ?? -1;
      if (node < 0) node = this.popPending(victim);
      steal = (steal + 1) % this.cpus;
    } while (node < 0 && steal !== first);
    loc.nextSteal = steal;
    if (node < 0) return -1;
    this.addPending(loc, cpu, node);
    return node;
  }

  // ---- the per-CPU LRU ----------------------------------------------------------------------
  private percpuPop(cpu: number): number {
    const l = this.percpu[cpu]!;
    this.rotate(l);
    const free = l.lists[T.Free]!;
    if (isEmpty(free)) this.shrink(l, PERCPU_FREE_TARGET, free, T.Free);
    if (isEmpty(free)) return -1;
    const n = this.node(free.next);
    this.move(l, n, T.Inactive);
    return n.link.node;
  }
}
