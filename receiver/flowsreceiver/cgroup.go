package flowsreceiver

import (
	"regexp"
	"strings"
)

// Container runtimes, as the container.runtime attribute names them.
const (
	runtimeDocker     = "docker"
	runtimeContainerd = "containerd"
	runtimeCRIO       = "cri-o"
	runtimePodman     = "podman"
)

// cgroupInfo is what a process's cgroup path tells: the container it runs
// in, the Kubernetes pod of that container, or the systemd service of a
// process outside containers.
type cgroupInfo struct {
	runtime   string // runtimeDocker, …; "" when the path does not say
	container string // 64 hex digits
	pod       string // pod UID, with dashes
	unit      string // systemd unit, e.g. "nginx.service"
}

// Container cgroup names, per runtime and cgroup driver:
//
//	docker-<id>.scope                 Docker, systemd driver
//	/docker/<id>                      Docker, cgroupfs driver
//	cri-containerd-<id>.scope         containerd (CRI), systemd driver
//	…:cri-containerd:<id>             containerd (CRI), systemd driver, cgroupfs-style leaf
//	nerdctl-<id>.scope                containerd (nerdctl), systemd driver
//	crio-<id>.scope, crio-<id>        CRI-O (crio-conmon-<id> is its monitor, not the container)
//	libpod-<id>.scope, libpod-<id>    Podman (libpod-conmon-<id> likewise)
//	/kubepods/<qos>/pod<uid>/<id>     any CRI runtime, cgroupfs driver
var (
	scopedIDRe = regexp.MustCompile(`^(docker|cri-containerd|nerdctl|crio|libpod)-([0-9a-f]{64})(?:\.scope)?$`)
	colonIDRe  = regexp.MustCompile(`:(cri-containerd|crio|docker):([0-9a-f]{64})$`)
	bareIDRe   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// podRe: pod<uid> (cgroupfs) or kubepods[-<qos>]-pod<uid with _>.slice
	// (systemd).
	podRe = regexp.MustCompile(`(?:^|-)pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?$`)
)

var runtimeOfPrefix = map[string]string{
	"docker":         runtimeDocker,
	"cri-containerd": runtimeContainerd,
	"nerdctl":        runtimeContainerd,
	"crio":           runtimeCRIO,
	"libpod":         runtimePodman,
}

// parseCgroupFile reads the content of /proc/<pid>/cgroup: the cgroup v2
// path ("0::"), or, when that is the root (hybrid hierarchies), the
// systemd v1 hierarchy's, else the first v1 path that names a container.
func parseCgroupFile(content string) cgroupInfo {
	var v2, systemd string
	var v1 []string
	for _, line := range strings.Split(content, "\n") {
		controllers, path, ok := cutCgroupLine(line)
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(line, "0::"):
			v2 = path
		case controllers == "name=systemd":
			systemd = path
		default:
			v1 = append(v1, path)
		}
	}
	if v2 != "" && v2 != "/" {
		return parseCgroupPath(v2)
	}
	for _, p := range v1 {
		if info := parseCgroupPath(p); info.container != "" {
			return info
		}
	}
	return parseCgroupPath(systemd)
}

// cutCgroupLine splits "<id>:<controllers>:<path>".
func cutCgroupLine(line string) (controllers, path string, ok bool) {
	_, rest, ok := strings.Cut(line, ":")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, ":")
}

// parseCgroupPath reads one cgroup path (see the names above).
func parseCgroupPath(path string) cgroupInfo {
	var info cgroupInfo
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i, part := range parts {
		if m := podRe.FindStringSubmatch(part); m != nil {
			info.pod = strings.ReplaceAll(m[1], "_", "-")
			continue
		}
		if m := scopedIDRe.FindStringSubmatch(part); m != nil {
			info.runtime, info.container = runtimeOfPrefix[m[1]], m[2]
			continue
		}
		if m := colonIDRe.FindStringSubmatch(part); m != nil {
			info.runtime, info.container = runtimeOfPrefix[m[1]], m[2]
			slice, _, _ := strings.Cut(part, ":")
			if m := podRe.FindStringSubmatch(slice); m != nil {
				info.pod = strings.ReplaceAll(m[1], "_", "-")
			}
			continue
		}
		if bareIDRe.MatchString(part) {
			info.container = part
			if i > 0 && parts[i-1] == "docker" {
				info.runtime = runtimeDocker
			}
			continue
		}
		if strings.HasSuffix(part, ".service") && !strings.HasPrefix(part, "user@") {
			info.unit = part
		}
	}
	if info.container != "" {
		// A container's cgroup may sit under its runtime's service
		// (containerd.service); that service is not the process's.
		info.unit = ""
	}
	return info
}
