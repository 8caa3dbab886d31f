// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//go:build ignore

/*
 * TCP flows for the coordimap_flows receiver.
 *
 * The programs follow each TCP socket through sock/inet_sock_set_state and
 * count, per flow key (client, server, server port, which end this host is,
 * network namespace, cgroup), connections opened, failed connects, closed
 * connections, retransmits and bytes, in the `flows` LRU hash. User space
 * reads `flows` every collection_interval; no event crosses to user space.
 *
 * The pid, cgroup and command of a connection are those of the process in
 * whose context the socket changed state where that context is a process:
 * connect() (CLOSE -> SYN_SENT) for the client end, listen() (CLOSE ->
 * LISTEN) for the server end. Established, closed and failed transitions
 * run in softirq or timer context, where the current task is whoever was
 * interrupted, so they use what was recorded then (`socks`, `listeners`).
 *
 * Every handler is written once (on_state, on_retransmit) and compiled
 * three times, for a constant `mode`:
 *  - MODE_BTF, the tp_btf programs (BTF-enabled raw tracepoints): socket
 *    fields are read with direct loads;
 *  - MODE_RAW, the raw_tp programs, the fallback where the kernel refuses
 *    tp_btf: fields are read with bpf_probe_read_kernel;
 *  - MODE_TEST, programs that take the socket's fields from the `test_sk`
 *    map, so that BPF_PROG_TEST_RUN can drive the state machine.
 * Per-socket state lives in the `socks` hash in every mode. (Socket local
 * storage was measured slower: it allocates per connection.)
 */
#include "vmlinux.h"
#include "bpf/bpf_helpers.h"
#include "bpf/bpf_core_read.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

enum {
	TCP_ESTABLISHED = 1,
	TCP_SYN_SENT = 2,
	TCP_SYN_RECV = 3,
	TCP_CLOSE = 7,
	TCP_LISTEN = 10,
};

/* Which end of the connection this host is. */
enum flow_side {
	SIDE_CLIENT = 1,
	SIDE_SERVER = 2,
};

enum mode {
	MODE_BTF = 0,
	MODE_RAW = 1,
	MODE_TEST = 2,
};

/* Addresses are IPv6 or IPv4-mapped IPv6 (::ffff:a.b.c.d). */
struct flow_key {
	__u8 client[16];
	__u8 server[16];
	__u16 port; /* server port, host byte order */
	__u8 side;  /* enum flow_side */
	__u8 pad;
	__u32 netns; /* inode number of the socket's network namespace */
	__u64 cgroup; /* cgroup v2 ID of the process */
};

/* Counters since the entry was created; user space takes differences. */
struct flow_val {
	__u64 opened;         /* connections established */
	__u64 failed;         /* connects that ended before established */
	__u64 closed;         /* established connections closed */
	__u64 retransmits;    /* segments retransmitted */
	__u64 bytes_sent;     /* client -> server, counted at close */
	__u64 bytes_received; /* server -> client, counted at close */
	__u64 last_ns;        /* bpf_ktime_get_ns() of the last connection
	                       * opened, failed or retransmitting (not of
	                       * closes: one clock read less per connection) */
	__u32 pid;            /* tgid of the last connection's process */
	__u32 pad;
	char comm[16];        /* its command */
};

enum sock_flags {
	SOCK_KEYED = 1, /* key holds the flow the socket counts in */
};

struct sock_state {
	struct flow_key key;
	__u64 cgroup;
	__u32 pid;
	__u32 retransmits; /* before the key is known (SYN retransmits) */
	__u32 flags;
	__u32 pad;
	char comm[16];
};

struct listen_key {
	__u32 netns;
	__u16 port;
	__u16 pad;
};

struct listen_val {
	__u64 sk; /* the listening socket; 0 when user space found it */
	__u64 cgroup;
	__u32 pid;
	__u32 pad;
	__u8 addr[16];
	char comm[16];
};

/* Per-CPU counters of what could not be recorded. */
enum stat {
	STAT_SOCKS_FULL = 0,
	STAT_LISTENERS_FULL = 1,
	STAT_FLOWS_FULL = 2,
	STAT_MAX = 3,
};

/* Referenced so that their BTF reaches the object and bpf2go -type can
 * generate Go constants for them. */
const enum flow_side *unused_flow_side __attribute__((unused));
const enum stat *unused_stat __attribute__((unused));

/* The fields of a socket the handlers use; the test programs take them
 * from test_sk. */
struct sk_fields {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport; /* host byte order */
	__u16 dport; /* host byte order */
	__u16 family;
	__u16 protocol;
	__u32 netns;
	__s32 ifindex;
	__u64 bytes_acked;
	__u64 bytes_received;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct flow_key);
	__type(value, struct flow_val);
} flows SEC(".maps");

/* Sockets followed from connect/accept to close, by address. A plain hash,
 * not an LRU: an entry must not be evicted while its socket is open, or its
 * close would be lost; every socket reaches TCP_CLOSE, which deletes it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sock_state);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct listen_key);
	__type(value, struct listen_val);
} listeners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sk_fields);
} test_sk SEC(".maps");

/* interface_name: when filter_ifindex is not 0, only sockets in network
 * namespace filter_netns whose route goes through that device count. */
const volatile __u32 filter_ifindex = 0;
const volatile __u32 filter_netns = 0;

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);
	if (v)
		*v += 1;
}

static __always_inline const struct sk_fields *test_fields(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&test_sk, &zero);
}

static __always_inline void v4_mapped(__u8 *out, __be32 addr)
{
	__u32 *w = (__u32 *)out;
	w[0] = 0;
	w[1] = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	w[2] = 0xffff0000; /* bytes 00 00 ff ff */
#else
	w[2] = 0x0000ffff;
#endif
	w[3] = addr;
}

/* read_proto fills family and protocol; it returns whether the socket is
 * TCP over IPv4 or IPv6 (MPTCP sockets hit the tracepoint too). */
static __always_inline bool read_proto(const struct sock *sk, struct sk_fields *f, enum mode mode)
{
	if (mode == MODE_TEST) {
		const struct sk_fields *t = test_fields();
		if (!t)
			return false;
		f->family = t->family;
		f->protocol = t->protocol;
	} else if (mode == MODE_BTF) {
		f->family = sk->__sk_common.skc_family;
		f->protocol = sk->sk_protocol;
	} else {
		f->family = BPF_CORE_READ(sk, __sk_common.skc_family);
		f->protocol = BPF_CORE_READ(sk, sk_protocol);
	}
	return f->protocol == IPPROTO_TCP && (f->family == AF_INET || f->family == AF_INET6);
}

/* read_addrs fills addresses, ports and network namespace. */
static __always_inline void read_addrs(const struct sock *sk, struct sk_fields *f, enum mode mode)
{
	if (mode == MODE_TEST) {
		const struct sk_fields *t = test_fields();
		/* As in the kernel, the addresses depend on the family
		 * read_proto read. */
		if (!t || (f->family != AF_INET && f->family != AF_INET6))
			return;
		__builtin_memcpy(f->saddr, t->saddr, 16);
		__builtin_memcpy(f->daddr, t->daddr, 16);
		f->sport = t->sport;
		f->dport = t->dport;
		f->netns = t->netns;
		return;
	}
	if (mode == MODE_BTF) {
		const struct sock_common *c = &sk->__sk_common;
		if (f->family == AF_INET) {
			v4_mapped(f->saddr, c->skc_rcv_saddr);
			v4_mapped(f->daddr, c->skc_daddr);
		} else {
			__builtin_memcpy(f->saddr, c->skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
			__builtin_memcpy(f->daddr, c->skc_v6_daddr.in6_u.u6_addr8, 16);
		}
		f->sport = c->skc_num;
		f->dport = __builtin_bswap16(c->skc_dport);
		f->netns = c->skc_net.net->ns.inum;
		return;
	}
	if (f->family == AF_INET) {
		v4_mapped(f->saddr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
		v4_mapped(f->daddr, BPF_CORE_READ(sk, __sk_common.skc_daddr));
	} else {
		BPF_CORE_READ_INTO(f->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(f->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	f->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	f->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	f->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* filtered_out applies interface_name: the device of the socket's cached
 * route, in the configured network namespace. */
static __always_inline bool filtered_out(const struct sock *sk, const struct sk_fields *f, enum mode mode)
{
	if (!filter_ifindex)
		return false;
	if (f->netns != filter_netns)
		return true;
	__s32 ifindex;
	if (mode == MODE_TEST) {
		const struct sk_fields *t = test_fields();
		ifindex = t ? t->ifindex : 0;
	} else if (mode == MODE_BTF) {
		const struct dst_entry *dst = sk->sk_dst_cache;
		ifindex = dst ? dst->dev->ifindex : 0;
	} else {
		ifindex = BPF_CORE_READ(sk, sk_dst_cache, dev, ifindex);
	}
	return ifindex != (__s32)filter_ifindex;
}

static __always_inline void read_bytes(const struct sock *sk, __u64 *acked, __u64 *received, enum mode mode)
{
	if (mode == MODE_TEST) {
		const struct sk_fields *t = test_fields();
		if (t) {
			*acked = t->bytes_acked;
			*received = t->bytes_received;
		}
		return;
	}
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	*acked = BPF_CORE_READ(tp, bytes_acked);
	*received = BPF_CORE_READ(tp, bytes_received);
}

static const struct flow_val zero_flow;

static __always_inline struct flow_val *flow_get(const struct flow_key *key)
{
	struct flow_val *v = bpf_map_lookup_elem(&flows, key);
	if (v)
		return v;
	if (bpf_map_update_elem(&flows, key, &zero_flow, BPF_NOEXIST) == 0)
		return bpf_map_lookup_elem(&flows, key);
	v = bpf_map_lookup_elem(&flows, key); /* another CPU created it */
	if (!v)
		stat_inc(STAT_FLOWS_FULL);
	return v;
}

static __always_inline void flow_owner(struct flow_val *v, const struct sock_state *st)
{
	v->pid = st->pid;
	__builtin_memcpy(v->comm, st->comm, sizeof(v->comm));
	v->last_ns = bpf_ktime_get_ns();
}

static __always_inline void make_key(struct flow_key *key, const struct sk_fields *f, __u8 side, __u64 cgroup)
{
	if (side == SIDE_CLIENT) {
		__builtin_memcpy(key->client, f->saddr, 16);
		__builtin_memcpy(key->server, f->daddr, 16);
		key->port = f->dport;
	} else {
		__builtin_memcpy(key->client, f->daddr, 16);
		__builtin_memcpy(key->server, f->saddr, 16);
		key->port = f->sport;
	}
	key->side = side;
	key->pad = 0;
	key->netns = f->netns;
	key->cgroup = cgroup;
}

/* state_get returns the socket's state, NULL if it has none. */
static __always_inline struct sock_state *state_get(const struct sock *sk)
{
	__u64 skid = (__u64)sk;
	return bpf_map_lookup_elem(&socks, &skid);
}

/* state_set gives the socket a new state and returns it (NULL if the map
 * is full). One update: the hot paths create state without a lookup. */
static __always_inline struct sock_state *state_set(const struct sock *sk, const struct sock_state *st)
{
	__u64 skid = (__u64)sk;
	if (bpf_map_update_elem(&socks, &skid, st, BPF_ANY)) {
		stat_inc(STAT_SOCKS_FULL);
		return 0;
	}
	return bpf_map_lookup_elem(&socks, &skid);
}

static __always_inline void state_forget(const struct sock *sk)
{
	__u64 skid = (__u64)sk;
	bpf_map_delete_elem(&socks, &skid);
}

/* CLOSE -> SYN_SENT, in connect(): remember who connects. */
static __always_inline void on_connect(const struct sock *sk)
{
	struct sock_state st = {};
	st.pid = bpf_get_current_pid_tgid() >> 32;
	st.cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(st.comm, sizeof(st.comm));
	state_set(sk, &st);
}

/* CLOSE -> LISTEN, in listen(): remember who serves the port. */
static __always_inline void on_listen(const struct sock *sk, struct sk_fields *f, enum mode mode)
{
	read_addrs(sk, f, mode);
	struct listen_key lk = {.netns = f->netns, .port = f->sport};
	struct listen_val lv = {.sk = (__u64)sk};
	lv.pid = bpf_get_current_pid_tgid() >> 32;
	lv.cgroup = bpf_get_current_cgroup_id();
	__builtin_memcpy(lv.addr, f->saddr, 16);
	bpf_get_current_comm(lv.comm, sizeof(lv.comm));
	if (bpf_map_update_elem(&listeners, &lk, &lv, BPF_ANY))
		stat_inc(STAT_LISTENERS_FULL);
}

/* LISTEN -> CLOSE: forget the port, unless another socket took it since
 * (SO_REUSEPORT). */
static __always_inline void on_unlisten(const struct sock *sk, struct sk_fields *f, enum mode mode)
{
	read_addrs(sk, f, mode);
	struct listen_key lk = {.netns = f->netns, .port = f->sport};
	struct listen_val *lv = bpf_map_lookup_elem(&listeners, &lk);
	if (lv && (lv->sk == (__u64)sk || lv->sk == 0))
		bpf_map_delete_elem(&listeners, &lk);
}

/* SYN_SENT -> ESTABLISHED, in softirq: the connect succeeded. */
static __always_inline void on_client_established(const struct sock *sk, struct sk_fields *f, enum mode mode)
{
	struct sock_state *st = state_get(sk);
	if (!st) {
		/* connect() ran before the programs were attached: count the
		 * connection without a process. */
		struct sock_state fresh = {};
		st = state_set(sk, &fresh);
		if (!st)
			return;
	}
	read_addrs(sk, f, mode);
	if (filtered_out(sk, f, mode)) {
		state_forget(sk);
		return;
	}
	make_key(&st->key, f, SIDE_CLIENT, st->cgroup);
	st->flags |= SOCK_KEYED;
	struct flow_val *v = flow_get(&st->key);
	if (!v)
		return;
	__sync_fetch_and_add(&v->opened, 1);
	if (st->retransmits)
		__sync_fetch_and_add(&v->retransmits, st->retransmits);
	flow_owner(v, st);
}

/* SYN_RECV -> ESTABLISHED, in softirq: a connection was accepted into the
 * queue of a listening socket; its process is the listener's. */
static __always_inline void on_server_established(const struct sock *sk, struct sk_fields *f, enum mode mode)
{
	read_addrs(sk, f, mode);
	if (filtered_out(sk, f, mode))
		return;
	struct sock_state st = {};
	struct listen_key lk = {.netns = f->netns, .port = f->sport};
	struct listen_val *lv = bpf_map_lookup_elem(&listeners, &lk);
	if (lv) {
		st.pid = lv->pid;
		st.cgroup = lv->cgroup;
		__builtin_memcpy(st.comm, lv->comm, sizeof(st.comm));
	}
	make_key(&st.key, f, SIDE_SERVER, st.cgroup);
	st.flags = SOCK_KEYED;
	if (!state_set(sk, &st))
		return;
	struct flow_val *v = flow_get(&st.key);
	if (!v)
		return;
	__sync_fetch_and_add(&v->opened, 1);
	flow_owner(v, &st);
}

/* -> CLOSE: count the close and the bytes of an established connection,
 * or the failure of a connect. */
static __always_inline void on_close(const struct sock *sk, int oldstate, struct sk_fields *f, enum mode mode)
{
	struct sock_state *st = state_get(sk);
	if (!st)
		return;
	if (st->flags & SOCK_KEYED) {
		struct flow_val *v = flow_get(&st->key);
		if (v) {
			__u64 acked = 0, received = 0;
			read_bytes(sk, &acked, &received, mode);
			__sync_fetch_and_add(&v->closed, 1);
			if (st->key.side == SIDE_CLIENT) {
				__sync_fetch_and_add(&v->bytes_sent, acked);
				__sync_fetch_and_add(&v->bytes_received, received);
			} else {
				__sync_fetch_and_add(&v->bytes_sent, received);
				__sync_fetch_and_add(&v->bytes_received, acked);
			}
		}
	} else if (oldstate == TCP_SYN_SENT) {
		/* Refused (RST), timed out, unreachable, or closed by the
		 * application before the handshake completed. */
		read_proto(sk, f, mode);
		read_addrs(sk, f, mode);
		if (!filtered_out(sk, f, mode)) {
			make_key(&st->key, f, SIDE_CLIENT, st->cgroup);
			struct flow_val *v = flow_get(&st->key);
			if (v) {
				__sync_fetch_and_add(&v->failed, 1);
				if (st->retransmits)
					__sync_fetch_and_add(&v->retransmits, st->retransmits);
				flow_owner(v, st);
			}
		}
	}
	state_forget(sk);
}

static __always_inline int on_state(const struct sock *sk, int oldstate, int newstate, enum mode mode)
{
	struct sk_fields f = {};

	switch (newstate) {
	case TCP_SYN_SENT:
		if (read_proto(sk, &f, mode))
			on_connect(sk);
		break;
	case TCP_LISTEN:
		if (read_proto(sk, &f, mode))
			on_listen(sk, &f, mode);
		break;
	case TCP_ESTABLISHED:
		if (oldstate == TCP_SYN_SENT) {
			if (read_proto(sk, &f, mode))
				on_client_established(sk, &f, mode);
		} else if (oldstate == TCP_SYN_RECV) {
			if (read_proto(sk, &f, mode))
				on_server_established(sk, &f, mode);
		}
		break;
	case TCP_CLOSE:
		if (oldstate == TCP_LISTEN) {
			if (read_proto(sk, &f, mode))
				on_unlisten(sk, &f, mode);
		} else {
			on_close(sk, oldstate, &f, mode);
		}
		break;
	}
	return 0;
}

static __always_inline int on_retransmit(const struct sock *sk, enum mode mode)
{
	struct sock_state *st = state_get(sk);
	if (!st)
		return 0;
	if (st->flags & SOCK_KEYED) {
		struct flow_val *v = flow_get(&st->key);
		if (v) {
			__sync_fetch_and_add(&v->retransmits, 1);
			v->last_ns = bpf_ktime_get_ns();
		}
	} else {
		st->retransmits++;
	}
	return 0;
}

/* inet_sock_set_state(const struct sock *sk, const int oldstate, const int newstate) */
SEC("tp_btf/inet_sock_set_state")
int tp_btf_state(__u64 *ctx)
{
	return on_state((const struct sock *)ctx[0], (int)ctx[1], (int)ctx[2], MODE_BTF);
}

SEC("raw_tp/inet_sock_set_state")
int raw_tp_state(__u64 *ctx)
{
	return on_state((const struct sock *)ctx[0], (int)ctx[1], (int)ctx[2], MODE_RAW);
}

/* tcp_retransmit_skb(const struct sock *sk, const struct sk_buff *skb, ...) */
SEC("tp_btf/tcp_retransmit_skb")
int tp_btf_retransmit(__u64 *ctx)
{
	return on_retransmit((const struct sock *)ctx[0], MODE_BTF);
}

SEC("raw_tp/tcp_retransmit_skb")
int raw_tp_retransmit(__u64 *ctx)
{
	return on_retransmit((const struct sock *)ctx[0], MODE_RAW);
}

/* Test programs, run with BPF_PROG_TEST_RUN: ctx[0] is a made-up socket
 * address, the socket's fields come from test_sk. Never attached. */
SEC("raw_tp/coordimap_flows_test_state")
int test_state(__u64 *ctx)
{
	return on_state((const struct sock *)ctx[0], (int)ctx[1], (int)ctx[2], MODE_TEST);
}

SEC("raw_tp/coordimap_flows_test_retransmit")
int test_retransmit(__u64 *ctx)
{
	return on_retransmit((const struct sock *)ctx[0], MODE_TEST);
}
