package apiservertest

import (
	"flag"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
	"k8s.io/apiserver/pkg/server/healthz"
	"k8s.io/klog/v2"
)

// TestMain quiets the API server's logging and, once every server has been
// torn down, checks that nothing the receivers started is still running.
func TestMain(m *testing.M) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)

	// As k8s.io/kubernetes/test/integration/framework does: start the
	// goroutine the API server's health log starts on first use, so that
	// it counts as background.
	_ = healthz.LogHealthz.Check(nil)
	ignore := goleak.IgnoreCurrent()
	code := m.Run()
	if code == 0 {
		// The API server stops some of its goroutines asynchronously.
		var err error
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if err = goleak.Find(ignore,
				goleak.IgnoreAnyFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"),
				// etcd's gRPC clients in the API server leave these behind.
				goleak.IgnoreTopFunction("google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"),
			); err == nil {
				break
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left running:", err)
			code = 1
		}
	}
	os.Exit(code)
}
