package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/coordimap/otelcol-coordimap/extension/graphextension"
	"github.com/coordimap/otelcol-coordimap/internal/graphstore"

	"github.com/coordimap/otelcol-coordimap/internal/testneed"
)

// chromiumPath finds the browser: $COORDIMAP_CHROMIUM, else Debian's
// chromium on PATH. Missing, the test fails under CI=true and is skipped
// otherwise.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("COORDIMAP_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testneed.Unavailable(tb, "Chromium (for the map's browser test)", "apt-get install chromium, or set COORDIMAP_CHROMIUM", nil)
	return ""
}

// artifactDir is $COORDIMAP_ARTIFACTS (created), else the test's temp dir.
func artifactDir(tb testing.TB) string {
	if d := os.Getenv("COORDIMAP_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			tb.Fatal(err)
		}
		return d
	}
	return tb.TempDir()
}

// browser is one headless Chromium tab; the console it logs is kept to be
// shown when the test fails.
type browser struct {
	ctx     context.Context
	mu      sync.Mutex
	console []string
}

func newBrowser(tb testing.TB, width, height int) *browser {
	tb.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(tb)),
		chromedp.WindowSize(width, height),
		// WebGL without a GPU: SwiftShader, which Chromium only uses when
		// asked to.
		chromedp.Flag("use-angle", "swiftshader"),
		chromedp.Flag("enable-unsafe-swiftshader", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	b := &browser{ctx: ctx}
	// Start the browser now, and record the page's console.
	if err := chromedp.Do(ctx); err != nil {
		cancelTimeout()
		cancel()
		cancelAlloc()
		tb.Fatalf("starting %s: %v", chromiumPath(tb), err)
	}
	consoleCtx, stopConsole := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for m, err := range chromedp.Console(consoleCtx) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m.String())
			b.mu.Unlock()
		}
	})
	tb.Cleanup(func() {
		stopConsole()
		wg.Wait()
		if tb.Failed() {
			b.mu.Lock()
			for _, line := range b.console {
				tb.Log("console: " + line)
			}
			b.mu.Unlock()
		}
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	return b
}

func (b *browser) do(tb testing.TB, what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

// wait polls a JavaScript predicate until it holds.
func (b *browser) wait(tb testing.TB, what, expr string) {
	tb.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		state, _ := eval[map[string]any](b, `({status: document.getElementById("status").textContent,
			error: coordimapMap.error, nodes: coordimapMap.nodes, drawn: coordimapMap.drawn, url: location.search})`)
		tb.Fatalf("waiting for %s (%s): %v; page: %v", what, expr, err, state)
	}
}

// clearInput empties a text field.
func clearInput(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%q).value = ""`, id))
}

func eval[T any](b *browser, expr string, opts ...chromedp.EvaluateOption) (T, error) {
	return chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, opts...))
}

func mustEval[T any](tb testing.TB, b *browser, expr string, opts ...chromedp.EvaluateOption) T {
	tb.Helper()
	v, err := eval[T](b, expr, opts...)
	if err != nil {
		tb.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// screenshot saves the viewport as a PNG artifact and returns it decoded.
func (b *browser) screenshot(tb testing.TB, name string) image.Image {
	tb.Helper()
	buf, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(artifactDir(tb), name)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("screenshot: %s", path)
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		tb.Fatalf("screenshot %s: %v", path, err)
	}
	return img
}

// drawnPixels counts the pixels of the map's area (CSS pixels, the
// screenshot's scale 1) that differ from its background.
func drawnPixels(tb testing.TB, b *browser, img image.Image) (drawn, all int) {
	tb.Helper()
	r := mustEval[struct{ X, Y, W, H float64 }](tb, b,
		`(() => { const r = document.getElementById("map").getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; })()`)
	bg := img.At(int(r.X)+1, int(r.Y)+1) // the map's corner: background
	br, bgc, bb, _ := bg.RGBA()
	for y := int(r.Y); y < int(r.Y+r.H); y++ {
		for x := int(r.X); x < int(r.X+r.W); x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			all++
			if absDiff(cr, br)+absDiff(cg, bgc)+absDiff(cb, bb) > 3*0x0a00 {
				drawn++
			}
		}
	}
	return drawn, all
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// mapServer serves the map and its API over the fixture store at path,
// through the coordimap_graph extension: the built collector when
// COORDIMAP_COLLECTOR_BIN names it (`make test`), else the extension
// started in this process. It returns the map's URL.
func mapServer(tb testing.TB, path string) string {
	tb.Helper()
	if bin := os.Getenv("COORDIMAP_COLLECTOR_BIN"); bin != "" {
		return collectorServer(tb, bin, path)
	}
	cfg := graphextension.NewFactory().CreateDefaultConfig().(*graphextension.Config)
	cfg.ServerConfig.NetAddr.Endpoint = "127.0.0.1:0"
	cfg.SQLite.Path = path
	cfg.FlowTTL = 48 * time.Hour
	ext, err := graphextension.NewFactory().Create(context.Background(), extensiontest.NewNopSettings(graphextension.Type), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := ext.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := ext.Shutdown(context.Background()); err != nil {
			tb.Error(err)
		}
	})
	return ext.(*graphextension.GraphExtension).URL()
}

var mapURL = regexp.MustCompile(`open the map at (https?://\S+/)`)

// collectorServer runs the built collector with the coordimap_graph
// extension over the store at path, on a free port, and returns the URL
// it prints.
func collectorServer(tb testing.TB, bin, path string) string {
	tb.Helper()
	dir := tb.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(`extensions:
  coordimap_graph:
    endpoint: 127.0.0.1:0
    sqlite:
      path: %s
    flow_ttl: 48h
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
exporters:
  debug: {}
service:
  extensions: [coordimap_graph]
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [debug]
  telemetry:
    metrics:
      level: none
`, path)), 0o600); err != nil {
		tb.Fatal(err)
	}
	out := &syncBuffer{}
	cmd := exec.Command(bin, "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting the collector %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			tb.Errorf("the collector did not stop on SIGTERM:\n%s", out.String())
		}
		if tb.Failed() {
			tb.Logf("collector output:\n%s", out.String())
		}
	})
	deadline := time.After(60 * time.Second)
	for {
		if m := mapURL.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-exited:
			exited <- err
			tb.Fatalf("the collector exited: %v\n%s", err, out.String())
		case <-deadline:
			tb.Fatalf("the collector printed no map URL in 60 s:\n%s", out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a process's output and a reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// summary asks the API for its counts.
func summary(tb testing.TB, base string) graphstore.Summary {
	tb.Helper()
	resp, err := http.Get(base + "api/v1/summary")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var s graphstore.Summary
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("summary: HTTP %d, %v", resp.StatusCode, err)
	}
	return s
}

// TestMapInChromium loads the map of a known graph in headless Chromium:
// the nodes are drawn, search finds a pod by its IP, the inspector shows
// its attributes, the URL bookmarks the view, and the time slider set
// before a deletion shows the deleted pod (marked vanished) that the
// present view hides.
func TestMapInChromium(t *testing.T) {
	db := filepath.Join(t.TempDir(), "graph.db")
	ft := writeFixture(t, db)
	base := mapServer(t, db)
	b := newBrowser(t, 1400, 900)

	// The extension adds the collector itself to the fixture.
	sum := summary(t, base)
	if sum.Nodes < liveNodes {
		t.Fatalf("the API counts %d nodes, want at least the fixture's %d", sum.Nodes, liveNodes)
	}

	// It loads and draws the live graph.
	b.do(t, "navigate", chromedp.Navigate(base))
	b.wait(t, "the first draw", `window.coordimapMap && coordimapMap.ready && coordimapMap.drawn`)
	if n := mustEval[int](t, b, `coordimapMap.nodes`); n != sum.Nodes {
		t.Errorf("nodes in the map: %d, want the API's %d", n, sum.Nodes)
	}
	if n := mustEval[int](t, b, `coordimapMap.renderedNodes`); n != sum.Nodes {
		t.Errorf("nodes rendered: %d, want %d", n, sum.Nodes)
	}
	for _, id := range []string{nsID, apiID, dbID, newJobID, k8sNodeID, vpcID, ec2ID} {
		if !mustEval[bool](t, b, fmt.Sprintf(`coordimapMap.hasNode(%q)`, id)) {
			t.Errorf("node %s is not in the map", id)
		}
	}
	if mustEval[bool](t, b, fmt.Sprintf(`coordimapMap.hasNode(%q)`, legacyID)) {
		t.Errorf("the deleted pod %s is in today's map", legacyID)
	}
	if e := mustEval[int](t, b, `coordimapMap.edges`); e != sum.Edges || e < 5 {
		t.Errorf("edges in the map: %d, want the API's %d (the fixture's 4 parent_child and 1 ebpf_flow at least)", e, sum.Edges)
	}
	// Let the layout settle, then check that the canvas shows something.
	b.wait(t, "the layout to stop", `!coordimapMap.layoutRunning`)
	img := b.screenshot(t, "map-now.png")
	if drawn, all := drawnPixels(t, b, img); drawn < 200 {
		t.Errorf("the map's canvas is empty: %d of %d pixels differ from the background", drawn, all)
	}

	// Search by IP finds the api pod; choosing it opens the inspector.
	b.do(t, "search", chromedp.SendKeys(chromedp.ID("search"), apiIP))
	result := fmt.Sprintf(`#results li[data-id=%q]`, apiID)
	b.wait(t, "the search result", fmt.Sprintf(`document.querySelector(%q) !== null && !document.getElementById("results").hidden`, result))
	if n := mustEval[int](t, b, `document.querySelectorAll("#results li[data-id]").length`); n != 1 {
		t.Errorf("search for %s: %d results, want 1", apiIP, n)
	}
	b.do(t, "choose the result", chromedp.Click(chromedp.CSS(result)))
	b.wait(t, "the inspector", fmt.Sprintf(`coordimapMap.selected === %q && coordimapMap.inspected !== null && !document.getElementById("inspector").hidden`, apiID))
	attrs := mustEval[string](t, b, `document.getElementById("i-attrs").textContent`)
	for _, want := range []string{"k8s.pod.ip", apiIP, "k8s.pod.uid", "uid-api-7c9f"} {
		if !strings.Contains(attrs, want) {
			t.Errorf("inspector attributes %q lack %q", attrs, want)
		}
	}
	if name := mustEval[string](t, b, `document.getElementById("i-name").textContent`); name != "api-7c9f" {
		t.Errorf("inspector title %q, want api-7c9f", name)
	}
	if h := mustEval[string](t, b, `document.getElementById("i-history").textContent`); !strings.Contains(h, "created") {
		t.Errorf("inspector history %q lacks the creation", h)
	}
	if d := mustEval[string](t, b, `document.getElementById("i-data").textContent`); !strings.Contains(d, `"podIP": "10.42.0.17"`) {
		t.Errorf("inspector data %q lacks the pod's IP", d)
	}
	b.screenshot(t, "map-inspector.png")
	loc := mustEval[string](t, b, `location.search`)
	q, _ := url.ParseQuery(strings.TrimPrefix(loc, "?"))
	if q.Get("node") != apiID {
		t.Errorf("URL %s does not bookmark the selected node", loc)
	}

	// Search by ARN finds the instance.
	b.do(t, "search by ARN", clearInput("search"), chromedp.SendKeys(chromedp.ID("search"), ec2ARN))
	b.wait(t, "the ARN's result", fmt.Sprintf(`document.querySelector(%q) !== null`, fmt.Sprintf(`#results li[data-id=%q]`, ec2ID)))
	b.do(t, "close the results", clearInput("search"), chromedp.KeyEvent("\x1b"))

	// Closing the inspector clears the selection.
	b.do(t, "close the inspector", chromedp.Click(chromedp.ID("i-close")))
	b.wait(t, "no selection", `coordimapMap.selected === "" && document.getElementById("inspector").hidden`)

	// The time slider, set between the creation and the deletion, shows
	// the deleted pod, marked vanished, and new-job as appeared since.
	past := ft.created.Add(30 * time.Minute)
	b.do(t, "move the slider", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const s = document.getElementById("asof");
		s.value = "%d";
		s.dispatchEvent(new Event("input", {bubbles: true}));
		s.dispatchEvent(new Event("change", {bubbles: true}));
	})()`, past.Unix())))
	b.wait(t, "the past graph", `coordimapMap.asOf !== "" && coordimapMap.drawn`)
	b.wait(t, "the deleted pod in the past graph", fmt.Sprintf(`coordimapMap.hasNode(%q)`, legacyID))
	if n := mustEval[map[string]any](t, b, fmt.Sprintf(`coordimapMap.node(%q)`, legacyID)); n["vanished"] != true {
		t.Errorf("the deleted pod at %s: %v, want it marked vanished", past, n)
	}
	if n := mustEval[map[string]any](t, b, fmt.Sprintf(`coordimapMap.node(%q)`, newJobID)); n == nil || n["appeared"] != true {
		t.Errorf("new-job at %s: %v, want it shown as appeared since", past, n)
	}
	if s := mustEval[string](t, b, `document.getElementById("diff").textContent`); !strings.Contains(s, "legacy-worker") {
		t.Errorf("the changes since %s (%q) do not list legacy-worker", past, s)
	}
	asOf := mustEval[string](t, b, `coordimapMap.asOf`)
	if at, err := time.Parse(time.RFC3339, asOf); err != nil || !at.Equal(past) {
		t.Errorf("as of %q, want %s", asOf, past.Format(time.RFC3339))
	}
	b.wait(t, "the layout to stop", `!coordimapMap.layoutRunning`)
	b.screenshot(t, "map-as-of.png")

	// The URL bookmarks the view: loading it again shows the same past.
	loc = mustEval[string](t, b, `location.search`)
	if !strings.Contains(loc, "as_of=") {
		t.Fatalf("URL %s does not bookmark as_of", loc)
	}
	b.do(t, "reload the bookmark", chromedp.Navigate(base+loc))
	b.wait(t, "the bookmarked view", fmt.Sprintf(`window.coordimapMap && coordimapMap.ready && coordimapMap.drawn && coordimapMap.hasNode(%q)`, legacyID))
	if n := mustEval[map[string]any](t, b, fmt.Sprintf(`coordimapMap.node(%q)`, legacyID)); n["vanished"] != true {
		t.Errorf("the bookmarked past view: deleted pod %v, want it marked vanished", n)
	}

	// Back to now: the deleted pod is hidden again.
	b.do(t, "now", chromedp.Click(chromedp.ID("asof-now")))
	b.wait(t, "the present graph", fmt.Sprintf(`coordimapMap.asOf === "" && coordimapMap.drawn && !coordimapMap.hasNode(%q)`, legacyID))

	// A type filter leaves the namespace alone; clicking it on the canvas
	// selects it and expands its neighbourhood: its pods join the map.
	b.do(t, "filter namespaces", chromedp.Navigate(base+"?type=kubernetes.namespace"))
	b.wait(t, "the namespace alone", `window.coordimapMap && coordimapMap.drawn && coordimapMap.nodes === 1`)
	if got := mustEval[bool](t, b, `document.querySelector('#f-types input[value="kubernetes.namespace"]').checked`); !got {
		t.Error("the type filter from the URL is not checked")
	}
	pos := mustEval[struct{ X, Y, Left, Top float64 }](t, b, fmt.Sprintf(`(() => {
		const p = coordimapMap.position(%q), r = document.getElementById("map").getBoundingClientRect();
		return {x: p.x, y: p.y, left: r.left, top: r.top};
	})()`, nsID))
	b.do(t, "click the namespace", chromedp.MouseClickXY(pos.Left+pos.X, pos.Top+pos.Y))
	b.wait(t, "its neighbourhood", fmt.Sprintf(`coordimapMap.selected === %q && coordimapMap.hasNode(%q) && coordimapMap.hasNode(%q)`, nsID, apiID, dbID))
	if attrs := mustEval[string](t, b, `document.getElementById("i-attrs").textContent`); !strings.Contains(attrs, "k8s.namespace.name") {
		t.Errorf("inspector of the namespace: %q", attrs)
	}
	b.wait(t, "the layout to stop", `!coordimapMap.layoutRunning`)
	b.screenshot(t, "map-expanded.png")
}

// TestMapGate: above 2,000 nodes the map asks for a filter first, and
// draws once one is chosen (or the user insists).
func TestMapGate(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a store with 2,500 nodes")
	}
	db := filepath.Join(t.TempDir(), "graph.db")
	writeLargeFixture(t, db, 2500)
	base := mapServer(t, db)
	b := newBrowser(t, 1200, 800)
	b.do(t, "navigate", chromedp.Navigate(base))
	b.wait(t, "the gate", `window.coordimapMap && coordimapMap.ready && coordimapMap.gated`)
	if n := mustEval[int](t, b, `coordimapMap.nodes`); n != 0 {
		t.Errorf("gated map draws %d nodes", n)
	}
	want := fmt.Sprintf("%d,%03d", summary(t, base).Nodes/1000, summary(t, base).Nodes%1000)
	if s := mustEval[string](t, b, `document.getElementById("gate-text").textContent`); !strings.Contains(s, want) {
		t.Errorf("gate says %q, want the count %s", s, want)
	}
	// A group filter narrows the view to one namespace (50 pods + the namespace).
	b.do(t, "filter by group", chromedp.SendKeys(chromedp.ID("f-group"), "ns7"), chromedp.Click(chromedp.CSS(`#filter-form button[type=submit]`)))
	b.wait(t, "the filtered view", `!coordimapMap.gated && coordimapMap.drawn && coordimapMap.nodes > 0`)
	if n := mustEval[int](t, b, `coordimapMap.nodes`); n != 50 {
		t.Errorf("group ns7: %d nodes, want 50", n)
	}
	if loc := mustEval[string](t, b, `location.search`); !strings.Contains(loc, "group=ns7") {
		t.Errorf("URL %s does not bookmark the group filter", loc)
	}
}
