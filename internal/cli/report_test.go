package cli

import (
	"context"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// The payloads an attacker could put in a dump: a class name, a field name,
// a thread name (a String's bytes). Each would run script if it reached the
// page unescaped; the img one even under the report's CSP, which allows
// inline handlers.
const (
	evilClass  = `com/evil/X<script>document.body.dataset.pwned="class"</script>`
	evilField  = `<img src=x onerror="document.body.dataset.pwned='field'">`
	evilThread = `</script><script>document.body.dataset.pwned="thread"</script>`
)

// evilDump writes a dump whose strings are the payloads above: a thread
// named evilThread holds, as a local, an instance of evilClass whose field
// evilField points at a 1 MiB byte[] (a leak suspect).
func evilDump(t *testing.T) string {
	t.Helper()
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	str := w.StringClass(obj)
	thread := w.Class("java/lang/Thread", obj, 0, nil, []hproftest.Field{{Name: "name", Type: hprof.TypeObject}})
	evil := w.Class(evilClass, obj, 0, nil, []hproftest.Field{{Name: evilField, Type: hprof.TypeObject}})
	name, th, x, data := w.String(str, evilThread), w.NewID(), w.NewID(), w.NewID()
	w.Instance(th, thread, []hprof.BasicType{hprof.TypeObject}, []uint64{name})
	w.PrimArray(data, hprof.TypeByte, 1<<20, nil)
	w.Instance(x, evil, []hprof.BasicType{hprof.TypeObject}, []uint64{data})
	w.Root(hprof.SubRootThreadObject, th, 1, 0)
	w.Root(hprof.SubRootJavaFrame, x, 1, -1)
	return writeDump(t, w, "evil.hprof")
}

func writeTestReport(t *testing.T, dump string) (string, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.html")
	_, errOut, code := run(t, "report", dump, "-o", out)
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return out, string(b)
}

func TestReportEscapesDumpStrings(t *testing.T) {
	_, page := writeTestReport(t, evilDump(t))
	lower := strings.ToLower(page)
	if n := strings.Count(lower, "<script"); n != 1 {
		t.Errorf("the page has %d <script tags, want only its own", n)
	}
	if n := strings.Count(lower, "</script"); n != 1 {
		t.Errorf("the page has %d </script tags, want 1", n)
	}
	if strings.Contains(lower, "<img") {
		t.Error("an <img> from the dump reached the page")
	}
	// The payloads are shown, escaped: in the suspects, the threads, the
	// histogram.
	for _, want := range []string{"com.evil.X&lt;script&gt;", "&lt;img src=x onerror=", "&lt;/script&gt;&lt;script&gt;document.body.dataset.pwned"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
}

func TestReportSizeIsBounded(t *testing.T) {
	_, page := writeTestReport(t, filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof"))
	// 85,431 objects; the treemap is pruned to subtrees of 0.1% and the
	// histogram to 1000 rows.
	if len(page) > 512<<10 {
		t.Errorf("report is %d bytes", len(page))
	}
	// The dump holds 149 unreachable objects, which make a class retain
	// less than its shallow size: the note under the histogram says so.
	// The suspect's sentence names the map, its biggest classes are the
	// thread's: their heading says so.
	for _, want := range []string{"SizeTrackingAppendOnlyMap", "Executor task launch worker for task 223", "java.util.HashMap$Node", "Class loaders", "Off-heap",
		"Instances and Shallow count unreachable objects too (149 in the dump, 10 KiB)", "Biggest classes of what java.lang.Thread 0xfab148f0 retains (4.0 MiB)"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// chromium finds a headless browser or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH (Debian package chromium): the report is not rendered")
	return ""
}

// renderDOM loads page in headless Chromium and returns the DOM after its
// scripts ran, failing on uncaught errors in the browser's console log.
func renderDOM(t *testing.T, browser, page string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--no-first-run", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
		"--user-data-dir="+t.TempDir(), "--window-size=1400,1800", "--dump-dom", "file://"+page)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, "CONSOLE") && (strings.Contains(line, "Uncaught") || strings.Contains(line, "rror")) {
			t.Errorf("console: %s", line)
		}
	}
	return string(dom)
}

var bodyRE = regexp.MustCompile(`<body([^>]*)>`)

// bodyData returns the data- attributes of the rendered page's body.
func bodyData(t *testing.T, dom string) map[string]string {
	t.Helper()
	m := bodyRE.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("no <body> in the rendered DOM:\n%.2000s", dom)
	}
	out := map[string]string{}
	for _, a := range regexp.MustCompile(`data-([a-z-]+)="([^"]*)"`).FindAllStringSubmatch(m[1], -1) {
		out[a[1]] = a[2]
	}
	return out
}

func TestReportRendersInChromium(t *testing.T) {
	browser := chromium(t)
	path, page := writeTestReport(t, filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof"))
	data := bodyData(t, renderDOM(t, browser, path))
	if data["ready"] != "yes" || data["js-errors"] != "" || data["scripts"] != "1" {
		t.Errorf("page state %v", data)
	}
	if n, _ := strconv.Atoi(data["treemap-nodes"]); n < 5 {
		t.Errorf("treemap drew %q nodes", data["treemap-nodes"])
	}
	// Click into the biggest box, then sort the histogram by instances.
	probe := `<script>
document.querySelector(".tm.zoom").click();
document.body.dataset.zoomed = document.body.dataset.treemapDepth + ":" + document.body.dataset.treemapNodes;
document.querySelector("#histogram th.sort:nth-child(2)").click();
document.querySelector("#crumbs a").click();
var nested = Array.prototype.filter.call(document.querySelectorAll(".tm.zoom"), function (d) { return d.style.zIndex === "3"; })[0];
nested.click();
document.body.dataset.nested = document.body.dataset.treemapDepth + ":" + document.querySelectorAll("#crumbs a, #crumbs span").length;
document.body.dataset.firstRow = document.querySelector("#histogram tbody tr td").textContent;
</script></body>`
	zoomed := filepath.Join(t.TempDir(), "zoom.html")
	if err := os.WriteFile(zoomed, []byte(strings.Replace(page, "</body>", probe, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	data = bodyData(t, renderDOM(t, browser, zoomed))
	if depth, nodes, _ := strings.Cut(data["zoomed"], ":"); depth != "2" || nodes == "0" || nodes == "" {
		t.Errorf("after a click the treemap is %q (depth:nodes)", data["zoomed"])
	}
	// A box two levels down zooms in with its ancestors kept as crumbs.
	if data["nested"] != "4:4" {
		t.Errorf("after a click on a nested box: %q (depth:crumbs), want 4:4", data["nested"])
	}
	if data["first-row"] != "byte[]" { // 51,968 instances, the most
		t.Errorf("sorted by instances, the histogram starts with %q", data["first-row"])
	}
	if data["js-errors"] != "" {
		t.Errorf("script errors: %v", data)
	}
}

func TestReportEscapesInChromium(t *testing.T) {
	browser := chromium(t)
	path, _ := writeTestReport(t, evilDump(t))
	data := bodyData(t, renderDOM(t, browser, path))
	if data["pwned"] != "" {
		t.Errorf("a payload from the dump ran: pwned=%q", data["pwned"])
	}
	if data["ready"] != "yes" || data["scripts"] != "1" || data["js-errors"] != "" {
		t.Errorf("page state %v", data)
	}
}

func TestParseThreshold(t *testing.T) {
	for in, want := range map[string]float64{"10%": 10, "10": 10, " 2.5% ": 2.5, "100%": 100} {
		if got, err := parseThreshold(in); err != nil || got != want {
			t.Errorf("parseThreshold(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "0%", "101%", "-5", "NaN", "Inf", "ten", ""} {
		if got, err := parseThreshold(in); err == nil {
			t.Errorf("parseThreshold(%q) = %v, want an error", in, got)
		}
	}
}

// TestReportOutputUnwritable: an -o that cannot be written is an input
// error before the analysis, naming the file: it named the temporary file
// beside it ("open /nonexistent/.leakscan-377339245"), after the analysis.
func TestReportOutputUnwritable(t *testing.T) {
	dump := evilDump(t)
	folder := t.TempDir()
	for out, want := range map[string]string{
		filepath.Join(folder, "missing", "r.html"): "-o " + filepath.Join(folder, "missing", "r.html") + ": cannot write in",
		folder: "-o " + folder + ": a folder, not a file",
	} {
		_, errOut, code := run(t, "report", dump, "-o", out)
		if code != 2 || !strings.Contains(errOut, want) || strings.Contains(errOut, ".leakscan-") {
			t.Errorf("-o %s: exit %d, %q; want 2 and %q", out, code, errOut, want)
		}
	}
}

// TestReportHistogramLoaders: the report's histogram names the loader
// beside a class name several loaders define, as histogram's table does:
// JobServer's 40 HiveClientImpl rows read alike.
func TestReportHistogramLoaders(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "JobServer.hprof")
	page, errOut, code := run(t, "report", dump, "-o", "-")
	rows := regexp.MustCompile(`HiveClientImpl \(loader 0x[0-9a-f]+\)`).FindAllString(page, -1)
	if distinct := len(slices.Compact(slices.Sorted(slices.Values(rows)))); code != 0 || distinct < 10 {
		t.Errorf("exit %d (%s): %d rows of HiveClientImpl with their loader, %d distinct", code, errOut, len(rows), distinct)
	}
}

// TestReportDirectSuspect: the report's suspects include the direct
// memory off the heap, as the suspects command gives it (on the Netty
// fixture, 129 MiB of buffers beside a heap of 449 KiB: the report left
// the biggest problem out).
func TestReportDirectSuspect(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "Netty.hprof")
	sus, _, _ := run(t, "suspects", dump)
	_, sentence, ok := strings.Cut(sus, "Suspect off the heap: ")
	if !ok {
		t.Fatalf("suspects gives no direct memory suspect:\n%s", sus)
	}
	sentence, _, _ = strings.Cut(sentence, " `leakscan offheap`")
	page, errOut, code := run(t, "report", dump, "-o", "-")
	if code != 0 || !strings.Contains(page, "Suspect off the heap: direct memory — 129 MiB") || !strings.Contains(page, html.EscapeString(sentence)) {
		t.Errorf("exit %d (%s): the report lacks the suspect %q", code, errOut, sentence)
	}
}

// TestReportThreadsDaemon: the report's threads say which are daemons,
// as the threads command does (they said nothing).
func TestReportThreadsDaemon(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	page, errOut, code := run(t, "report", dump, "-o", "-")
	if code != 0 || !strings.Contains(page, `<b>Signal Dispatcher</b> <span class="muted">0xfaac1be0 daemon RUNNABLE</span>`) ||
		!strings.Contains(page, `<b>main</b> <span class="muted">0xfaaa7698 WAITING</span>`) {
		t.Errorf("exit %d (%s): the threads do not say which are daemons", code, errOut)
	}
}
