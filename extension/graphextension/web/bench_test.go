package web_test

import (
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BenchmarkMapFirstDraw loads the map of 10,000 nodes and about 30,000
// edges in headless Chromium and reports the page's own figure: the time
// from navigation to the first frame with the nodes drawn (firstDrawMs).
// It also reports, while ForceAtlas2 runs in its worker, the slowest
// frames (p95) and the main thread's longest stall: how responsive the page
// stays at that size.
//
//	go test -run '^$' -bench MapFirstDraw -benchtime 5x ./extension/graphextension/web/
func BenchmarkMapFirstDraw(b *testing.B) {
	db := filepath.Join(b.TempDir(), "graph.db")
	start := time.Now()
	writeLargeFixture(b, db, 10000)
	b.Logf("fixture written in %s", time.Since(start).Round(time.Millisecond))
	base := mapServer(b, db)
	br := newBrowser(b, 1400, 900)
	var draws, loads, frames, lags []float64
	var nodes, edges int
	b.ResetTimer()
	for b.Loop() {
		// A fresh document each time: firstDrawMs counts from navigation.
		br.do(b, "blank", chromedp.Navigate("about:blank"))
		br.do(b, "navigate", chromedp.Navigate(base+"?all=1"))
		br.wait(b, "the first draw", `window.coordimapMap && coordimapMap.drawn && coordimapMap.nodes > 0`)
		draws = append(draws, mustEval[float64](b, br, `coordimapMap.firstDrawMs`))
		loads = append(loads, mustEval[float64](b, br, `coordimapMap.loadMs`))
		b.Logf("phases: %v", mustEval[map[string]float64](b, br, `coordimapMap.timings`))
		nodes = mustEval[int](b, br, `coordimapMap.nodes`)
		edges = mustEval[int](b, br, `coordimapMap.edges`)
		// While the layout runs: the main thread's longest stall (a
		// zero-delay timer's lateness) and the slowest frames, for 2 s.
		r := mustEval[struct{ Lag, Frame float64 }](b, br, `new Promise((resolve) => {
			const frames = []; let lag = 0; let lastFrame = performance.now(); const end = lastFrame + 2000;
			const tick = (now) => { frames.push(now - lastFrame); lastFrame = now; if (now < end) requestAnimationFrame(tick); };
			requestAnimationFrame(tick);
			const probe = () => { const t = performance.now(); setTimeout(() => {
				lag = Math.max(lag, performance.now() - t);
				if (performance.now() < end) probe();
				else { frames.sort((a, b) => a - b); resolve({lag, frame: frames[Math.floor(frames.length * 0.95)] || 0}); }
			}, 0); };
			probe();
		})`, chromedp.EvalAwaitPromise)
		lags = append(lags, r.Lag)
		frames = append(frames, r.Frame)
	}
	b.StopTimer()
	if nodes < 10000 || edges < 29000 {
		b.Fatalf("drawn %d nodes, %d edges; want 10000 and about 30000", nodes, edges)
	}
	b.ReportMetric(median(draws), "ms-first-draw")
	b.ReportMetric(median(loads), "ms-api-to-draw")
	b.ReportMetric(median(frames), "ms-p95-frame")
	b.ReportMetric(median(lags), "ms-max-main-stall")
	b.Logf("%d nodes, %d edges; first draw %v ms, load→draw %v ms; during the layout: p95 frame %v ms, main-thread stall %v ms",
		nodes, edges, draws, loads, frames, lags)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkGraphAPI fetches what the map draws first for the same 10,000
// nodes (/api/v1/graph, every node) without a browser: the response's size
// as sent (gzip, as a browser asks for it) and as JSON, and the time to
// answer and read it.
//
//	go test -run '^$' -bench GraphAPI -benchtime 5x ./extension/graphextension/web/
func BenchmarkGraphAPI(b *testing.B) {
	db := filepath.Join(b.TempDir(), "graph.db")
	writeLargeFixture(b, db, 10000)
	url := mapServer(b, db) + "api/v1/graph?limit=10000"
	for _, enc := range []string{"gzip", "identity"} {
		b.Run(enc, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
			defer client.CloseIdleConnections()
			var size int64
			for b.Loop() {
				req, err := http.NewRequest(http.MethodGet, url, nil)
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Accept-Encoding", enc)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				size, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d, %v", url, resp.StatusCode, err)
				}
				if got := resp.Header.Get("Content-Encoding"); (enc == "gzip") != (got == "gzip") {
					b.Fatalf("asked for %s, got Content-Encoding %q", enc, got)
				}
			}
			b.ReportMetric(float64(size)/(1<<20), "MB-sent")
		})
	}
}
