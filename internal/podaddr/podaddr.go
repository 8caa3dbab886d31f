// Package podaddr reads the IP addresses Kubernetes objects answer on, the
// same way for every component that resolves traffic to them.
package podaddr

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
)

// Pod is the IPs a pod holds (status.podIPs, else status.podIP): none for a
// host-network pod (it shares its node's) or a finished one (its IP is free
// for reuse).
func Pod(p *corev1.Pod) []string {
	if p.Spec.HostNetwork || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return nil
	}
	ips := make([]string, 0, len(p.Status.PodIPs)+1)
	for _, ip := range p.Status.PodIPs {
		ips = append(ips, ip.IP)
	}
	if len(ips) == 0 {
		ips = append(ips, p.Status.PodIP)
	}
	return valid(ips)
}

// Service is a service's cluster IPs ("None", a headless service's, is
// not one).
func Service(s *corev1.Service) []string {
	ips := s.Spec.ClusterIPs
	if len(ips) == 0 {
		ips = []string{s.Spec.ClusterIP}
	}
	return valid(ips)
}

// valid keeps the parseable, specified addresses, IPv4-mapped ones unmapped.
func valid(ips []string) []string {
	var out []string
	for _, ip := range ips {
		if a, err := netip.ParseAddr(ip); err == nil && !a.IsUnspecified() {
			out = append(out, a.Unmap().String())
		}
	}
	return out
}
