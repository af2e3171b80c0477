package cli

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/index"
	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/render"
)

type infoOptions struct {
	format string
}

// infoReport is what `leakscan info` reports; its JSON form is stable.
type infoReport struct {
	File            string         `json:"file"`
	FileBytes       int64          `json:"file_bytes"`
	Compressed      string         `json:"compressed,omitempty"`
	DumpBytes       int64          `json:"dump_bytes"`
	Version         string         `json:"version"`
	IDSize          int            `json:"id_size"`
	Timestamp       time.Time      `json:"timestamp"`
	HeapDumps       int            `json:"heap_dumps"`
	Dump            int            `json:"dump"`
	Objects         int            `json:"objects"`
	Instances       int64          `json:"instances"`
	ObjectArrays    int64          `json:"object_arrays"`
	PrimitiveArrays int64          `json:"primitive_arrays"`
	ClassObjects    int64          `json:"class_objects"`
	Classes         int            `json:"classes"`
	ShallowBytes    uint64         `json:"shallow_bytes"`
	References      int64          `json:"references"`
	Dangling        int64          `json:"dangling_references"`
	DanglingRoots   int64          `json:"dangling_roots"`
	Duplicates      int64          `json:"duplicate_ids"`
	Roots           map[string]int `json:"roots"`
	Threads         int            `json:"threads"`
	// JVM and Command are what the system properties say of the JVM that
	// wrote the dump and the command it ran ("" where they do not).
	JVM            string           `json:"jvm,omitempty"`
	Command        string           `json:"command,omitempty"`
	Records        map[string]int   `json:"records"`
	SubRecords     map[string]int64 `json:"sub_records"`
	CompressedOops bool             `json:"compressed_oops"`
	ReferenceSize  int              `json:"reference_size"`
	HeaderSize     int              `json:"object_header_size"`
	Alignment      int              `json:"object_alignment"`
	JDK            int              `json:"jdk_layout"`
	ModelReason    string           `json:"layout_reason"`
	GraphBytes     int64            `json:"graph_memory_bytes"`
	Truncated      int64            `json:"truncated_at,omitempty"`
	Index          indexInfo        `json:"index"`
	Warnings       []string         `json:"warnings"`
}

func newInfoCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	o := &infoOptions{}
	cmd := &cobra.Command{
		Use:   "info [DUMP]",
		Short: "What a dump holds: format, the JVM that wrote it, counts, roots, pointer layout, warnings",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := render.ParseFormat(o.format, render.Table, render.JSON)
			if err != nil {
				return err
			}
			x, err := g.openSession(s, args)
			if err != nil {
				return err
			}
			defer x.Close()
			x.listsWarnings = true // under Warnings
			graph, err := x.Graph()
			if err != nil {
				return err
			}
			r := buildInfo(graph)
			r.Index = indexReport(x)
			if format == render.JSON {
				return render.WriteJSON(s.Out, r)
			}
			writeInfo(s, r)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.format, "format", "table", "table or json")
	return cmd
}

// describedClasses counts the classes the dump describes: not the
// stand-ins the graph adds for what it does not (<unknown class>, and
// <unknown class>[]), which info counted too, two more than the dump's.
func describedClasses(g *heap.Graph) int {
	n := 0
	for _, c := range g.Classes {
		if c.ID != 0 {
			n++
		}
	}
	return n
}

func buildInfo(g *heap.Graph) *infoReport {
	src := g.Source
	r := &infoReport{
		File: src.Path, FileBytes: src.DumpBytes, Compressed: src.Compressed, DumpBytes: src.DumpBytes,
		Version: src.Header.Version, IDSize: src.Header.IDSize, Timestamp: src.Header.Timestamp,
		HeapDumps: src.HeapDumps, Dump: g.Dump, Objects: g.NumObjects(),
		Instances: g.Stats.Instances, ObjectArrays: g.Stats.ObjectArrays, PrimitiveArrays: g.Stats.PrimitiveArrays,
		ClassObjects: g.Stats.ClassObjects, Classes: describedClasses(g), References: g.Stats.References,
		Dangling: g.Stats.Dangling, DanglingRoots: g.Stats.DanglingRoots, Duplicates: g.Stats.Duplicates,
		Roots: map[string]int{}, Threads: len(g.Threads), Records: src.RecordCounts, SubRecords: map[string]int64{},
		CompressedOops: g.Model.CompressedOops(), ReferenceSize: g.Model.RefSize, HeaderSize: g.Model.HeaderSize,
		Alignment: g.Model.Alignment, JDK: g.Model.JDK, ModelReason: g.ModelReason, GraphBytes: g.MemoryBytes(),
		Warnings: append([]string{}, g.Warnings...),
	}
	if src.Compressed != "" {
		r.FileBytes = src.CompressedSize
	}
	if src.Truncated >= 0 {
		r.Truncated = src.Truncated
	}
	r.ShallowBytes = g.ShallowTotal()
	r.JVM, r.Command = g.JVM, g.Command
	for _, root := range g.Roots {
		r.Roots[heap.RootKindName(root.Kind)]++
	}
	for tag, n := range g.Stats.RecordsByTag {
		r.SubRecords[tag.String()] = n
	}
	return r
}

func writeInfo(s *IOStreams, r *infoReport) {
	render.KeyValues(s.Out, infoPairs(r))
}

// describeJVM names the JVM from its system properties: "OpenJDK 64-Bit
// Server VM 17.0.15+6-Debian-1deb12u1 (Debian)"; where the Java version is
// not among them, the VM's own and the specification's ("Java HotSpot(TM)
// Client VM, VM 14.2-b01, Java 1.6"); "" where they do not name it.
func describeJVM(props []leaks.Property) string {
	name := leaks.PropertyValue(props, "java.vm.name")
	if name == "" {
		return ""
	}
	switch v := cmp.Or(leaks.PropertyValue(props, "java.runtime.version"), leaks.PropertyValue(props, "java.version")); {
	case v != "":
		name += " " + v
	default:
		if vm := leaks.PropertyValue(props, "java.vm.version"); vm != "" {
			name += ", VM " + vm
		}
		if spec := leaks.PropertyValue(props, "java.specification.version"); spec != "" {
			name += ", Java " + spec
		}
	}
	if v := leaks.PropertyValue(props, "java.vm.vendor"); v != "" {
		name += " (" + v + ")"
	}
	return name
}

// infoPairs is the info report as labelled lines (also the HTML report's
// summary).
func infoPairs(r *infoReport) [][2]string {
	file := humanize.IBytes(uint64(r.FileBytes))
	if r.Compressed != "" {
		file += fmt.Sprintf(" %s, %s inflated", r.Compressed, humanize.IBytes(uint64(r.DumpBytes)))
	}
	oops := "off"
	if r.CompressedOops {
		oops = "on"
	}
	pairs := [][2]string{
		{"File", fmt.Sprintf("%s (%s)", r.File, file)},
		{"Format", fmt.Sprintf("%s, %d-byte identifiers", r.Version, r.IDSize)},
		{"Written", r.Timestamp.Format(time.RFC3339)},
	}
	if r.JVM != "" {
		pairs = append(pairs, [2]string{"JVM", render.Clean(r.JVM)})
	}
	if r.Command != "" {
		// (JSON and leakscan properties give it whole.)
		pairs = append(pairs, [2]string{"Command", truncate(render.Clean(r.Command), 200)})
	}
	pairs = append(pairs, [][2]string{
		{"Heap dumps", fmt.Sprintf("%d (analysing dump %d)", r.HeapDumps, r.Dump)},
		{"Objects", fmt.Sprintf("%s: %s instances, %s object arrays, %s primitive arrays, %s class objects",
			commas(int64(r.Objects)), commas(r.Instances), commas(r.ObjectArrays), commas(r.PrimitiveArrays), commas(r.ClassObjects))},
		{"Classes", commas(int64(r.Classes))},
		{"Shallow heap", sizeAndBytes(r.ShallowBytes)},
		{"References", fmt.Sprintf("%s (%s dangling, %s duplicate ids)", commas(r.References), commas(r.Dangling), commas(r.Duplicates))},
		{"Threads", commas(int64(r.Threads))},
		{"Layout", fmt.Sprintf("compressed oops %s; %d-byte references, %d-byte headers, %d-byte alignment, JDK %d rules", oops, r.ReferenceSize, r.HeaderSize, r.Alignment, r.JDK)},
		{"Why", r.ModelReason},
		{"Graph memory", render.Size(uint64(r.GraphBytes))},
	}...)
	var roots []string
	for k, n := range r.Roots {
		roots = append(roots, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(roots)
	if len(roots) == 0 {
		roots = []string{"none: no object is reachable (--keep-unreachable takes the unreached ones as roots)"}
	}
	pairs = append(pairs, [2]string{"GC roots", strings.Join(roots, ", ")})
	var recs []string
	for k, n := range r.Records {
		recs = append(recs, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(recs)
	pairs = append(pairs, [2]string{"Records", strings.Join(recs, ", ")})
	if r.Truncated > 0 {
		pairs = append(pairs, [2]string{"Truncated at", commas(r.Truncated)})
	}
	ix := r.Index
	var index string
	switch {
	case ix.Off != "":
		index = "none (" + ix.Off + ")"
	case len(ix.Loaded) > 0:
		index = fmt.Sprintf("used %s (%s)", ix.Dir, humanize.IBytes(uint64(ix.Bytes)))
	case len(ix.Written) > 0:
		index = fmt.Sprintf("written to %s (%s)", ix.Dir, humanize.IBytes(uint64(ix.Bytes)))
	default:
		index = "none"
	}
	if len(ix.NotWritten) > 0 {
		// "written to" only what was: a folder that cannot be written to
		// said "written to DIR (0 B)", or named a stale part's bytes.
		index += "; not written: " + strings.Join(ix.NotWritten, "; ")
	}
	pairs = append(pairs, [2]string{"Index", index})
	for _, w := range r.Warnings {
		pairs = append(pairs, [2]string{"Warning", w})
	}
	return pairs
}

func commas(n int64) string { return humanize.Comma(n) }

// objects counts objects in words: "1 object", "21,501 objects".
func objects(n int64) string { return render.Nouns(n, "object", "objects") }

// indexInfo says whether an index was used and where it is.
type indexInfo struct {
	Off     string   `json:"not_used,omitempty"` // why the options leave it out
	Dir     string   `json:"dir,omitempty"`
	Bytes   int64    `json:"bytes"`
	Loaded  []string `json:"loaded"`
	Written []string `json:"written"`
	// NotWritten says why the parts that could not be written were not.
	NotWritten []string `json:"not_written,omitempty"`
}

func indexReport(x *session) indexInfo {
	x.writes.Wait() // report the index as it is on disk
	r := indexInfo{Off: x.unindexed, Dir: x.dir, Loaded: x.Loaded, Written: x.Written, NotWritten: x.Failed}
	if r.Loaded == nil {
		r.Loaded = []string{}
	}
	if r.Written == nil {
		r.Written = []string{}
	}
	if x.dir != "" {
		r.Bytes = index.Size(x.dir)
	}
	return r
}
