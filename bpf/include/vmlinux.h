/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trimmed vmlinux.h for the coordimap_flows programs.
 *
 * It holds only the kernel types and fields flows.c reads, copied from
 * `bpftool btf dump file /sys/kernel/btf/vmlinux format c` (Linux 6.18) and
 * reduced to the members used. Every struct carries preserve_access_index,
 * so each field access is a CO-RE relocation that libbpf-compatible loaders
 * (cilium/ebpf) resolve by name against the running kernel's BTF: member
 * order, offsets and the anonymous unions around them (skc_daddr,
 * skc_dport, dst_entry.dev …) do not have to match the kernel's layout.
 *
 * A trimmed header keeps `make generate` independent of the kernel of the
 * machine that runs it (a full dump differs between kernels), so the
 * committed object is byte-reproducible. To add a field, look it up in a
 * full dump and add it here under the same name and type.
 */
#ifndef __COORDIMAP_VMLINUX_H__
#define __COORDIMAP_VMLINUX_H__

typedef signed char __s8;
typedef unsigned char __u8;
typedef short int __s16;
typedef short unsigned int __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long int __s64;
typedef long long unsigned int __u64;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
enum {
	false = 0,
	true = 1,
};

/* What bpf_helpers.h and bpf_helper_defs.h refer to. */
enum bpf_map_type {
	BPF_MAP_TYPE_UNSPEC = 0,
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
	BPF_F_LOCK = 4,
};

enum {
	BPF_F_NO_PREALLOC = 1,
	BPF_F_NO_COMMON_LRU = 2,
};

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__be16 u6_addr16[8];
		__be32 u6_addr32[4];
	} in6_u;
};

struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
	struct net *net;
} possible_net_t;

struct net_device {
	int ifindex;
} __attribute__((preserve_access_index));

struct dst_entry {
	struct net_device *dev;
} __attribute__((preserve_access_index));

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	short unsigned int skc_family;
	possible_net_t skc_net;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
	int sk_err;
	u16 sk_protocol;
	struct dst_entry *sk_dst_cache;
} __attribute__((preserve_access_index));

struct tcp_sock {
	u64 bytes_received;
	u64 bytes_acked;
} __attribute__((preserve_access_index));

struct sk_buff;

#endif /* __COORDIMAP_VMLINUX_H__ */
