package netns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// Do runs fn on a thread switched to the network namespace at path (a
// /proc/<pid>/ns/net link or an `ip netns` bind mount); sockets fn creates
// stay in that namespace. The thread is switched back; if that fails it is
// left locked, so that the runtime ends it with its goroutine rather than
// reuse it in the wrong namespace.
func Do(path string, fn func() error) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	target, err := os.Open(path)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("setns %s: %w", path, err)
	}
	fnErr := fn()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		return errors.Join(fnErr, fmt.Errorf("restoring the network namespace: %w", err))
	}
	runtime.UnlockOSThread()
	return fnErr
}

// Inode is the inode number of the network namespace at path: what the
// kernel calls the namespace (net->ns.inum).
func Inode(path string) (uint32, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, err
	}
	return uint32(st.Ino), nil
}

// Names maps the inodes of the named network namespaces in dir (`ip netns`
// keeps them in /run/netns) to their names; a missing dir names none.
func Names(dir string) map[uint32]string {
	out := map[uint32]string{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if ino, err := Inode(filepath.Join(dir, e.Name())); err == nil {
			out[ino] = e.Name()
		}
	}
	return out
}
