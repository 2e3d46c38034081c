// Command htmlreport times the HTML report of a many-connection capture
// in headless Chromium: it repeats one connection of a capture on other
// client ports (N connections), has tlstrace read write the report, then
// opens it RUNS times, each in a new tab, and prints how long the page
// took to load and to scroll to its end (two frames drawn), with the
// main thread's breakdown from Chrome's Performance metrics (script,
// style, layout) and the number of DOM nodes; then, in a report whose
// connections open on a click (more than 100), how long the last one
// took to open (its ladder drawn). bench/html.sh runs it.
//
// Usage: go run ./bench/htmlreport -tlstrace BINARY [-n 1000] [-runs 5]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

func main() {
	bin := flag.String("tlstrace", "", "the tlstrace binary (required)")
	n := flag.Int("n", 1000, "connections in the capture")
	runs := flag.Int("runs", 5, "times the report is opened")
	capture := flag.String("capture", "testdata/illustrated-tls13/capture.pcap", "the capture whose connection is repeated (loopback pcap)")
	keylog := flag.String("keylog", "testdata/illustrated-tls13/keylog.txt", "its key log")
	keep := flag.String("keep", "", "write the report to this file too")
	page := flag.String("page", "", "open this report instead of making one (no capture, no tlstrace)")
	flag.Parse()
	if *page != "" {
		if err := openRuns(*page, *runs); err != nil {
			fmt.Fprintln(os.Stderr, "htmlreport:", err)
			os.Exit(1)
		}
		return
	}
	if *bin == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*bin, *n, *runs, *capture, *keylog, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "htmlreport:", err)
		os.Exit(1)
	}
}

// sample is one opening of the report.
type sample struct {
	load, scroll                  time.Duration // wall time, from navigation
	opened                        time.Duration // wall time, from the click on the last connection to its ladder drawn
	task, script, style, layout   time.Duration // main thread, from Performance metrics
	cpu                           time.Duration // the main thread's CPU time (ThreadTime), which a loaded machine does not inflate
	nodes, layouts, recalcs, heap float64
}

func run(bin string, n, runs int, capture, keylog, keep string) error {
	one, err := os.ReadFile(capture)
	if err != nil {
		return err
	}
	many, err := tlstest.RepeatConnection(one, n, 100*time.Millisecond)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "htmlreport")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pcap, page := filepath.Join(dir, "many.pcap"), filepath.Join(dir, "many.html")
	if keep != "" {
		page = keep
	}
	if err := os.WriteFile(pcap, many, 0o644); err != nil {
		return err
	}
	start := time.Now()
	cmd := exec.Command(bin, "read", pcap, "--keylog", keylog, "--html", page)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("tlstrace read: %w", err)
	}
	made := time.Since(start)
	st, err := os.Stat(page)
	if err != nil {
		return err
	}
	fmt.Printf("%d connections: report of %.1f MB written in %v\n", n, float64(st.Size())/1e6, made.Round(time.Millisecond))
	return openRuns(page, runs)
}

// openRuns opens the report page runs times and prints the figures of
// each opening and their medians.
func openRuns(page string, runs int) error {
	page, err := filepath.Abs(page)
	if err != nil {
		return err
	}

	path, err := exec.LookPath("chromium")
	if err != nil {
		return err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1280, 1000))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		return fmt.Errorf("starting chromium: %w", err)
	}
	var all []sample
	for i := range runs {
		s, err := open(browser, "file://"+page)
		if err != nil {
			return err
		}
		fmt.Printf("run %d: loaded %v, scrolled %v, last connection opened in %v; main thread: CPU %v, tasks %v, script %v, style %v (%0.f), layout %v (%0.f); %0.f nodes, JS heap %.1f MB\n",
			i+1, s.load.Round(time.Millisecond), s.scroll.Round(time.Millisecond), s.opened.Round(time.Millisecond), s.cpu.Round(time.Millisecond), s.task.Round(time.Millisecond), s.script.Round(time.Millisecond),
			s.style.Round(time.Millisecond), s.recalcs, s.layout.Round(time.Millisecond), s.layouts, s.nodes, s.heap/1e6)
		all = append(all, s)
	}
	med := func(f func(sample) time.Duration) time.Duration {
		v := make([]time.Duration, len(all))
		for i, s := range all {
			v[i] = f(s)
		}
		slices.Sort(v)
		return v[len(v)/2].Round(time.Millisecond)
	}
	fmt.Printf("median of %d: loaded %v, scrolled %v, last connection opened in %v; CPU %v, tasks %v, script %v, style %v, layout %v\n", len(all),
		med(func(s sample) time.Duration { return s.load }), med(func(s sample) time.Duration { return s.scroll }),
		med(func(s sample) time.Duration { return s.opened }),
		med(func(s sample) time.Duration { return s.cpu }),
		med(func(s sample) time.Duration { return s.task }), med(func(s sample) time.Duration { return s.script }),
		med(func(s sample) time.Duration { return s.style }), med(func(s sample) time.Duration { return s.layout }))
	return nil
}

// open loads url in a new tab, scrolls to its end and waits two frames.
func open(browser context.Context, url string) (sample, error) {
	var s sample
	ctx, cancel := chromedp.NewContext(browser)
	defer cancel()
	ctx, cancelTime := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelTime()
	if _, err := chromedp.Call(ctx, performance.Enable, performance.EnableParams{}); err != nil {
		return s, err
	}
	start := time.Now()
	if _, err := chromedp.Run(ctx, chromedp.Navigate(url)); err != nil {
		return s, err
	}
	s.load = time.Since(start)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`new Promise(done => {
		window.scrollTo(0, document.body.scrollHeight);
		requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now())));
	})`, chromedp.EvalAwaitPromise)); err != nil {
		return s, err
	}
	s.scroll = time.Since(start)
	res, err := chromedp.Call(ctx, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		return s, err
	}
	for _, m := range res.Metrics {
		d := time.Duration(m.Value * float64(time.Second))
		switch m.Name {
		case "ThreadTime":
			s.cpu = d
		case "TaskDuration":
			s.task = d
		case "ScriptDuration":
			s.script = d
		case "RecalcStyleDuration":
			s.style = d
		case "LayoutDuration":
			s.layout = d
		case "Nodes":
			s.nodes = m.Value
		case "LayoutCount":
			s.layouts = m.Value
		case "RecalcStyleCount":
			s.recalcs = m.Value
		case "JSHeapUsedSize":
			s.heap = m.Value
		}
	}
	// The metrics are those of the opening and scrolling; then the last
	// connection is opened, when it opens on a click.
	s.opened, err = openLast(ctx)
	return s, err
}

// openLast clicks the heading of the last connection of a report whose
// connections open on a click, and returns the time until its ladder is
// drawn (two frames), 0 for a report whose connections are open.
func openLast(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(done => {
		const sec = document.querySelector("section.conn.pk:last-of-type");
		if (!sec) return done(false);
		sec.querySelector("h2").click();
		const wait = () => sec.querySelector("[data-event]") ? requestAnimationFrame(() => requestAnimationFrame(() => done(true))) : setTimeout(wait, 1);
		wait();
	})`, chromedp.EvalAwaitPromise))
	if err != nil || !ok {
		return 0, err
	}
	return time.Since(start), nil
}
