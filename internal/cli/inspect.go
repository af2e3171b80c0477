package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/render"
)

type inspectOptions struct {
	limit    int
	format   string
	jvmNames bool
	tree     treeOptions
}

func newInspectCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	o := &inspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect [DUMP] 0xID",
		Short: "One object: class, sizes, dominator, GC-root status, fields, and who refers to it",
		Long: `Shows one object: its class, shallow size (its own bytes), retained size
(what the GC would free if it were gone: itself and everything only it keeps
reachable), immediate dominator, GC-root status, fields (or the first array
elements, --limit) and the objects that refer to it.

An object no GC root reaches (garbage a dump written without a GC may hold)
is not in the dominator tree and has no retained size: the table says
"unreachable" in its place. JSON and CSV keep retained_bytes, 0 for it, and
add reachable (false for it) to the object and to every object they show;
with --keep-unreachable every object is in the tree and reachable. Referrers
a GC root reaches are listed first, then the unreachable ones, which the
heading counts (JSON: unreachable_referrers).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || len(args) > 2 {
				return fmt.Errorf("expected [DUMP] 0xID, got %d arguments: leakscan inspect [DUMP] 0xID", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := render.ParseFormat(o.format, render.Table, render.JSON, render.CSV)
			if err != nil {
				return err
			}
			idArg := args[len(args)-1]
			id, err := parseID(idArg)
			if err != nil {
				switch {
				case len(args) == 1 && dumpName(idArg):
					return fmt.Errorf("name the object to inspect after the dump: leakscan inspect %s 0xID", idArg)
				case len(args) == 2 && dumpName(idArg):
					if _, err := parseID(args[0]); err == nil {
						return fmt.Errorf("name the dump before the object: leakscan inspect %s %s", idArg, args[0])
					}
				}
				return fmt.Errorf("%q: expected a hexadecimal object id such as 0x7f3a1c20", idArg)
			}
			dump, err := resolveDump(s, args[:len(args)-1])
			if err != nil {
				return err
			}
			sess := g.newSession(s, dump)
			defer sess.Close()
			tree, err := sess.Tree(&o.tree)
			if err != nil {
				return err
			}
			x := tree.Graph().Lookup(id)
			if x == heap.None {
				return fmt.Errorf("no object 0x%x in %s", id, dump)
			}
			if o.limit == 0 {
				o.limit = math.MaxInt32 // all, as --top 0, --children 0 and --max-paths 0 are
			}
			r := o.build(tree, x)
			switch format {
			case render.JSON:
				return render.WriteJSON(s.Out, r)
			case render.CSV:
				return r.grid().Write(s.Out, format)
			}
			o.writeText(s, r)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.limit, "limit", 20, "array elements, static fields and referrers to show (0 = all)")
	f.StringVar(&o.format, "format", "table", "table, json or csv (the object's row, then one per fact, field, element and referrer; exact bytes)")
	f.BoolVar(&o.jvmNames, "jvm-names", false, "name array classes as the JVM does ([B)")
	o.tree.register(cmd)
	return cmd
}

// objectRef is a reference shown with what it points at.
type objectRef struct {
	ID    string `json:"id"`
	Class string `json:"class"`
	// Retained stays a number, 0 for an object no GC root reaches, as in
	// the tree and every command's json (dominators leaves such objects
	// out, histogram and classloaders sum 0 for them): null would break
	// consumers that add sizes up. Reachable says which 0 it is.
	Retained uint64 `json:"retained_bytes"`
	// Reachable: a GC root reaches the object, so the dominator tree holds
	// it (with --keep-unreachable every object is in the tree).
	Reachable bool `json:"reachable"`
}

type fieldView struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Value is the value as JSON types it: a number for the integral
	// types, and for a finite float or double (the digits Java prints);
	// true or false; a char as a string of it (a lone surrogate as
	// U+FFFD); NaN and Infinity as strings, which JSON has no number
	// for; a reference as its id, "0x…"; null for null.
	Value any `json:"value"`
	// Text is a java.lang.String's text, for a reference to one.
	Text *string `json:"text,omitempty"`
	// Dangling: a reference to an id the dump holds no object for.
	Dangling bool       `json:"dangling,omitempty"`
	Ref      *objectRef `json:"ref,omitempty"`
	// shown is the value as the table and CSV show it.
	shown string
}

type referrer struct {
	objectRef
	Field string `json:"field"`
}

// inspectReport is one object as inspect shows it. Its lists (Fields,
// Statics, Elements, Referrers) are [] in JSON where the object has none:
// an instance has no elements, an array no fields.
type inspectReport struct {
	objectRef
	Shallow   uint64     `json:"shallow_bytes"`
	Dominator *objectRef `json:"immediate_dominator,omitempty"`
	// ClassObject is an instance's or array's class object; Loader the
	// class loader of its class (of the class it describes, for a class
	// object), nil with Bootstrap for the JVM's own; Superclass a class
	// object's superclass's (MAT's inspector shows all three).
	ClassObject *objectRef  `json:"class_object,omitempty"`
	Loader      *objectRef  `json:"class_loader,omitempty"`
	Bootstrap   bool        `json:"bootstrap_loader,omitempty"`
	Superclass  *objectRef  `json:"superclass,omitempty"`
	Status      string      `json:"reachability"`
	GCRoot      string      `json:"gc_root,omitempty"`
	String      *string     `json:"string,omitempty"`
	Length      *int        `json:"length,omitempty"`
	Fields      []fieldView `json:"fields"`
	Statics     []fieldView `json:"statics"`
	Elements    []fieldView `json:"elements"`
	// MoreElements counts the array's elements --limit leaves out, and
	// MoreStatics a class object's static fields (5,001 statics printed
	// 5,017 lines).
	MoreElements int `json:"more_elements"`
	MoreStatics  int `json:"more_statics"`
	// Referrers: those a GC root reaches first, then the garbage, each
	// part by object index.
	Referrers []referrer `json:"referrers"`
	More      int        `json:"more_referrers"`
	// UnreachableReferrers counts the referrers no GC root reaches, listed or not.
	UnreachableReferrers int `json:"unreachable_referrers"`
}

// grid is the report as one flat table, for CSV, with what the table and
// JSON give: the object's own line first (its reachability as the value),
// then a row each for its immediate dominator, GC root, class object,
// superclass, loader, text and length where it has them, and per field,
// static, element and referrer, each saying which it is (section).
// Sizes are exact bytes; a row that names no object leaves their columns
// empty, and only the object's own row has a shallow size, as in JSON.
func (r *inspectReport) grid() *render.Grid {
	gr := &render.Grid{Columns: []render.Column{{Title: "Section", Key: "section"}, {Title: "Name", Key: "name"},
		{Title: "Type", Key: "type"}, {Title: "Value", Key: "value"}, {Title: "Object", Key: "object"}, {Title: "Class", Key: "class"},
		{Title: "Shallow", Key: "shallow_bytes", Kind: render.Bytes}, {Title: "Retained", Key: "retained_bytes", Kind: render.Bytes}, {Title: "Reachable", Key: "reachable"},
		{Title: "Text", Key: "text"}}}
	// row is a line of the section; p, if set, the object it names.
	row := func(section, name, typ, value string, p *objectRef) []any {
		cells := []any{section, name, typ, value, "", "", "", "", "", ""}
		if p != nil {
			cells[4], cells[5], cells[7], cells[8] = p.ID, p.Class, p.Retained, strconv.FormatBool(p.Reachable)
		}
		gr.Rows = append(gr.Rows, cells)
		return cells
	}
	row("object", "", "", r.Status, &r.objectRef)[6] = r.Shallow
	// In the table's order.
	refRow := func(section string, p *objectRef) {
		if p != nil {
			row(section, "", "object", "", p)
		}
	}
	refRow("immediate-dominator", r.Dominator)
	if r.GCRoot != "" {
		row("gc-root", "", "", r.GCRoot, nil)
	}
	refRow("class-object", r.ClassObject)
	refRow("superclass", r.Superclass)
	refRow("class-loader", r.Loader)
	if r.Bootstrap {
		row("class-loader", "", "", "<bootstrap>", nil)
	}
	if r.String != nil {
		row("string", "", "", *r.String, nil)
	}
	if r.Length != nil {
		row("length", "", "", strconv.Itoa(*r.Length), nil)
	}
	for _, sec := range []struct {
		name  string
		views []fieldView
	}{{"field", r.Fields}, {"static", r.Statics}, {"element", r.Elements}} {
		for _, v := range sec.views {
			// A String's whole text, which value cuts at 80 characters.
			if cells := row(sec.name, v.Name, v.Type, v.shown, v.Ref); v.Text != nil {
				cells[9] = *v.Text
			}
		}
	}
	// As the table's "… and N more": a reader of the csv must not take
	// the rows for all the elements or referrers.
	if r.MoreStatics > 0 {
		row("more-statics", "", "", strconv.Itoa(r.MoreStatics), nil)
	}
	if r.MoreElements > 0 {
		row("more-elements", "", "", strconv.Itoa(r.MoreElements), nil)
	}
	for _, ref := range r.Referrers {
		row("referrer", ref.Field, "object", "", &ref.objectRef)
	}
	if r.More > 0 {
		row("more-referrers", "", "", strconv.Itoa(r.More), nil)
	}
	if r.UnreachableReferrers > 0 {
		row("unreachable-referrers", "", "", strconv.Itoa(r.UnreachableReferrers), nil)
	}
	return gr
}

func (o *inspectOptions) ref(t *dominator.Tree, x heap.ObjectIndex) *objectRef {
	g := t.Graph()
	return &objectRef{ID: fmt.Sprintf("0x%x", g.ID(x)), Class: g.ObjectLabel(x, !o.jvmNames), Retained: t.Retained(x),
		Reachable: t.Idom(x) != dominator.Unreachable}
}

// value renders a field value: primitives as numbers, references as ids
// (with what they point at), strings as their text (see fieldView).
func (o *inspectOptions) value(t *dominator.Tree, typ hprof.BasicType, bits uint64) fieldView {
	g := t.Graph()
	v := fieldView{Type: typ.String()}
	switch typ {
	case hprof.TypeObject:
		if bits == 0 {
			v.shown = "null"
			return v
		}
		id := fmt.Sprintf("0x%x", bits)
		v.Value = id
		x := g.Lookup(bits)
		if x == heap.None {
			v.shown, v.Dangling = id+" (not in the dump)", true
			return v
		}
		v.Ref = o.ref(t, x)
		v.shown = v.Ref.ID
		if str, ok := g.StringValue(x); ok && g.Classes[g.ClassOf(x)].Name == "java.lang.String" {
			v.shown += " " + strconv.Quote(truncate(str, 80))
			v.Text = &str
		}
	case hprof.TypeBoolean:
		v.Value = bits != 0
		v.shown = strconv.FormatBool(bits != 0)
	case hprof.TypeChar:
		v.Value = string(rune(uint16(bits)))
		v.shown = strconv.QuoteRune(rune(bits))
	case hprof.TypeFloat, hprof.TypeDouble:
		f, size := math.Float64frombits(bits), 64
		if typ == hprof.TypeFloat {
			f, size = float64(math.Float32frombits(uint32(bits))), 32
		}
		v.shown = javaFloat(f, size)
		v.Value = v.shown
		if !math.IsNaN(f) && !math.IsInf(f, 0) {
			v.Value = json.Number(v.shown)
		}
	case hprof.TypeByte:
		v.Value = int8(bits)
	case hprof.TypeShort:
		v.Value = int16(bits)
	case hprof.TypeInt:
		v.Value = int32(bits)
	case hprof.TypeLong:
		v.Value = int64(bits)
	}
	if v.shown == "" {
		v.shown = fmt.Sprint(v.Value)
	}
	return v
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func (o *inspectOptions) build(t *dominator.Tree, x heap.ObjectIndex) *inspectReport {
	g := t.Graph()
	r := &inspectReport{objectRef: *o.ref(t, x), Shallow: g.ShallowSize(x), GCRoot: g.DescribeRoot(x),
		Fields: []fieldView{}, Statics: []fieldView{}, Elements: []fieldView{}, Referrers: []referrer{}}
	switch d := t.Idom(x); {
	case d == dominator.Unreachable:
		r.Status = "unreachable from GC roots"
	case t.KeptRoot(x):
		r.Status = "no GC root reaches it: a root of the tree as --keep-unreachable makes the unreached objects"
	case d == dominator.TopLevel:
		r.Status = "reachable; dominated only by the GC roots"
	default:
		r.Status = "reachable"
		r.Dominator = o.ref(t, heap.ObjectIndex(d))
	}
	if o.tree.keepUnreachable && r.Status == "reachable" && keptBelow(t, x) {
		r.Status = "no GC root reaches it: below a root --keep-unreachable made"
	}
	o.classOf(t, x, r)
	if str, ok := g.StringValue(x); ok {
		r.String = &str
	}
	if c, ok := g.MirrorClass(x); ok {
		statics := g.Classes[c].Statics
		r.MoreStatics = len(statics) - min(len(statics), o.limit)
		for _, st := range statics[:len(statics)-r.MoreStatics] {
			v := o.value(t, st.Type, st.Value)
			v.Name = st.Name
			r.Statics = append(r.Statics, v)
		}
	} else {
		switch g.Kind(x) {
		case heap.KindInstance:
			fs, _ := g.InstanceFields(x)
			for _, f := range fs {
				v := o.value(t, f.Type, f.Value)
				v.Name = f.Name
				r.Fields = append(r.Fields, v)
			}
		case heap.KindObjectArray, heap.KindPrimitiveArray:
			// The first elements, read where the dump is mapped (an array
			// can be tens of MB); describing them reads other records, so
			// that waits until the record is let go.
			var typ hprof.BasicType
			var raw []uint64
			err := g.WithRecord(x, func(rec hprof.SubRecord) error {
				n := int(rec.Length)
				r.Length = &n
				r.MoreElements = n - min(n, o.limit)
				typ = rec.ElemType
				size := typ.Size(g.Model.IDSize)
				if g.Kind(x) == heap.KindObjectArray {
					typ, size = hprof.TypeObject, g.Model.IDSize
				}
				for i := 0; i < min(n, o.limit) && (i+1)*size <= len(rec.Body); i++ {
					raw = append(raw, hprof.ReadValue(rec.Body[i*size:], typ, g.Model.IDSize))
				}
				return nil
			})
			if err == nil {
				for i, value := range raw {
					v := o.value(t, typ, value)
					v.Name = fmt.Sprintf("[%d]", i)
					r.Elements = append(r.Elements, v)
				}
			}
		}
	}
	in := g.Referrers(x)
	locals := stackHolders(g, x)
	for th := range locals {
		if !slices.Contains(in, th) {
			in = append(in, th)
		}
	}
	slices.Sort(in)
	// Live referrers first: by index alone, twenty HeapCharBuffers left
	// for the GC hid the one BufferedWriter keeping a char[] alive behind
	// --limit. A stable split in place (live is written no faster than in
	// is read).
	live, dead := in[:0], []heap.ObjectIndex(nil)
	for _, from := range in {
		if t.Idom(from) == dominator.Unreachable {
			dead = append(dead, from)
		} else {
			live = append(live, from)
		}
	}
	in, r.UnreachableReferrers = append(live, dead...), len(dead)
	for i, from := range in {
		if i >= o.limit {
			r.More = len(in) - i
			break
		}
		label := referenceLabel(g, from, x)
		if l, ok := locals[from]; ok && label == "?" {
			label = l
		}
		r.Referrers = append(r.Referrers, referrer{objectRef: *o.ref(t, from), Field: label})
	}
	return r
}

// keptBelow reports whether x lies below a root of the tree that
// --keep-unreachable made (an object no GC root reaches): the walk up its
// dominators ends at one.
func keptBelow(t *dominator.Tree, x heap.ObjectIndex) bool {
	for steps := 0; steps < t.Graph().NumObjects(); steps++ {
		d := t.Idom(x)
		if d < 0 {
			return t.KeptRoot(x)
		}
		x = heap.ObjectIndex(d)
	}
	return false
}

// stackHolders returns the threads whose stacks hold x (JAVA FRAME and JNI
// LOCAL roots of a known thread), each with how: "<Java Local>" and the
// frame when the dump names it. The tree and the paths take such a local
// as a reference from its thread, as MAT does, so inspect lists the thread
// among the referrers too; Referrers, which scans stored references, does
// not see it.
func stackHolders(g *heap.Graph, x heap.ObjectIndex) map[heap.ObjectIndex]string {
	// Every frame that holds x, in the dump's order (innermost first),
	// once each: a local passed down a call chain is held by each
	// caller's frame. From x's roots themselves: RootSet's locals keep
	// one a thread and object.
	type frame struct {
		thread heap.ObjectIndex
		at     string
	}
	kinds := map[heap.ObjectIndex][]string{}
	frames := map[heap.ObjectIndex][]string{}
	seen := map[frame]bool{} // (a deep recursion holds one local in 700,000 frames)
	for _, r := range g.RootsOf(x) {
		if r.Kind != hprof.SubRootJavaFrame && r.Kind != hprof.SubRootJNILocal {
			continue
		}
		th, ok := g.ThreadBySerial(r.ThreadSerial)
		if !ok || th.Object == heap.None {
			continue
		}
		if kind := "<" + heap.RootKindName(r.Kind) + ">"; !slices.Contains(kinds[th.Object], kind) {
			kinds[th.Object] = append(kinds[th.Object], kind)
		}
		if f := g.FrameDescription(r.ThreadSerial, r.Frame); f != "" && !seen[frame{th.Object, f}] {
			seen[frame{th.Object, f}] = true
			frames[th.Object] = append(frames[th.Object], f)
		}
	}
	const shown = 5 // frames a referrer's line names
	out := map[heap.ObjectIndex]string{}
	for th, ks := range kinds {
		label := strings.Join(ks, ", ")
		if fs := frames[th]; len(fs) > shown {
			label += fmt.Sprintf(" %s, … %d more frames", strings.Join(fs[:shown], ", "), len(fs)-shown)
		} else if len(fs) > 0 {
			label += " " + strings.Join(fs, ", ")
		}
		out[th] = label
	}
	return out
}

// referenceLabel says how from refers to to.
func referenceLabel(g *heap.Graph, from, to heap.ObjectIndex) string {
	// Every field or slot that holds to, as MAT's incoming references
	// list each: Two.a and Two.b gave b alone, and {SHARED, SHARED} [0].
	var labels []string
	if c, ok := g.MirrorClass(from); ok {
		// A class object's references, labelled as paths labels them.
		cl := &g.Classes[c]
		holds := func(id uint64) bool { return id != 0 && g.Lookup(id) == to }
		if cl.Super >= 0 && holds(g.Classes[cl.Super].ID) {
			labels = append(labels, "<super>")
		}
		for _, r := range []struct {
			id    uint64
			label string
		}{{cl.LoaderID, "<classloader>"}, {cl.SignersID, "<signers>"}, {cl.ProtectionDomainID, "<protection domain>"}} {
			if holds(r.id) {
				labels = append(labels, r.label)
			}
		}
		for _, st := range cl.Statics {
			if st.Type == hprof.TypeObject && holds(st.Value) {
				labels = append(labels, "static "+st.Name)
			}
		}
	}
	switch g.Kind(from) {
	case heap.KindInstance:
		fs, _ := g.InstanceFields(from)
		for _, f := range fs {
			if f.Type == hprof.TypeObject && f.Value != 0 && g.Lookup(f.Value) == to {
				labels = append(labels, f.Name)
			}
		}
	case heap.KindObjectArray:
		// In place: the array may be big; and its ids compared with to's,
		// not each looked up (a cache miss apiece, millions for a table).
		// The first few slots are named, and how many there are.
		want, slots := g.ID(to), 0
		g.WithRecord(from, func(rec hprof.SubRecord) error {
			idSize := g.Model.IDSize
			for i := 0; i+idSize <= len(rec.Body); i += idSize {
				if id := hprof.ReadID(rec.Body[i:], idSize); id != 0 && id == want {
					if slots++; slots <= slotsNamed {
						labels = append(labels, fmt.Sprintf("[%d]", i/idSize))
					}
				}
			}
			return nil
		})
		if slots > slotsNamed {
			labels = append(labels, fmt.Sprintf("… %s slots in all", commas(int64(slots))))
		}
	}
	if g.ClassObject(from) == to {
		labels = append(labels, "<class>")
	}
	if len(labels) == 0 {
		return "?"
	}
	return strings.Join(labels, ", ")
}

// slotsNamed is how many of an array's slots that hold the object inspect
// names, beside their count.
const slotsNamed = 4

// classOf fills in r x's class object and loader, or for a class object
// its class's loader and superclass.
func (o *inspectOptions) classOf(t *dominator.Tree, x heap.ObjectIndex, r *inspectReport) {
	g := t.Graph()
	c, mirror := g.MirrorClass(x)
	if !mirror {
		c = g.ClassOf(x)
		if obj := g.Classes[c].Object; obj != heap.None {
			r.ClassObject = o.ref(t, obj)
		}
	} else if sup := g.Classes[c].Super; sup >= 0 && g.Classes[sup].Object != heap.None {
		r.Superclass = o.ref(t, g.Classes[sup].Object)
	}
	if id := g.Classes[c].LoaderID; id == 0 {
		r.Bootstrap = true
	} else if l := g.Lookup(id); l != heap.None {
		r.Loader = o.ref(t, l)
	}
}

func (o *inspectOptions) writeText(s *IOStreams, r *inspectReport) {
	retained := sizeAndBytes(r.Retained)
	if !r.Reachable {
		// Retained sizes are of the tree, which leaves garbage out: "0 B"
		// under a shallow size of 48 B reads as a bug.
		retained = "- (unreachable: not in the dominator tree)"
	}
	pairs := [][2]string{
		{"Object", r.ID + "  " + r.Class},
		{"Shallow", sizeAndBytes(r.Shallow)},
		{"Retained", retained},
		{"Status", r.Status},
	}
	if r.Dominator != nil {
		pairs = append(pairs, [2]string{"Dominator", fmt.Sprintf("%s  %s  (retains %s)", r.Dominator.ID, r.Dominator.Class, render.Size(r.Dominator.Retained))})
	}
	if r.GCRoot != "" {
		pairs = append(pairs, [2]string{"GC root", r.GCRoot})
	}
	refLine := func(p *objectRef) string { return p.ID + "  " + p.Class }
	if r.ClassObject != nil {
		pairs = append(pairs, [2]string{"Class", refLine(r.ClassObject)})
	}
	if r.Superclass != nil {
		pairs = append(pairs, [2]string{"Superclass", refLine(r.Superclass)})
	}
	switch {
	case r.Loader != nil:
		pairs = append(pairs, [2]string{"Loader", refLine(r.Loader)})
	case r.Bootstrap:
		pairs = append(pairs, [2]string{"Loader", "<bootstrap> (the JVM's own)"})
	}
	if r.String != nil {
		pairs = append(pairs, [2]string{"Text", strconv.Quote(truncate(*r.String, 200))})
	}
	if r.Length != nil {
		pairs = append(pairs, [2]string{"Length", commas(int64(*r.Length))})
	}
	render.KeyValues(s.Out, pairs)
	// more says how many --limit left out, under a list of them.
	more := func(n int) {
		if n > 0 {
			fmt.Fprintf(s.Out, "… and %s more (--limit)\n", commas(int64(n)))
		}
	}
	section := func(title string, vs []fieldView, left int) {
		if len(vs)+left == 0 {
			return
		}
		fmt.Fprintf(s.Out, "\n%s:\n", title)
		if len(vs) > 0 {
			grid := &render.Grid{Columns: []render.Column{{Title: "Name", Key: "name"}, {Title: "Type", Key: "type"}, {Title: "Value", Key: "value"}, {Title: "Points at", Key: "class"}, {Title: "Retained", Key: "retained", Kind: render.Bytes}}}
			for _, v := range vs {
				cls, ret := "", ""
				if v.Ref != nil {
					cls, ret = v.Ref.Class, retainedText(v.Ref)
				}
				grid.Rows = append(grid.Rows, []any{v.Name, v.Type, v.shown, cls, ret})
			}
			grid.Write(s.Out, render.Table)
		}
		more(left)
	}
	section("Fields", r.Fields, 0)
	section("Static fields", r.Statics, r.MoreStatics)
	section("Elements", r.Elements, r.MoreElements)
	if len(r.Referrers)+r.More == 0 {
		fmt.Fprintln(s.Out, "\nReferred to by no object.")
		return
	}
	fmt.Fprintf(s.Out, "\nReferred to by %s", objects(int64(len(r.Referrers)+r.More)))
	if r.UnreachableReferrers > 0 {
		fmt.Fprintf(s.Out, " (%s unreachable)", commas(int64(r.UnreachableReferrers)))
	}
	fmt.Fprintln(s.Out, ":")
	if len(r.Referrers) > 0 {
		grid := &render.Grid{Columns: []render.Column{{Title: "Object", Key: "id"}, {Title: "Class", Key: "class"}, {Title: "Through", Key: "field"}, {Title: "Retained", Key: "retained", Kind: render.Bytes}}}
		for _, ref := range r.Referrers {
			grid.Rows = append(grid.Rows, []any{ref.ID, ref.Class, ref.Field, retainedText(&ref.objectRef)})
		}
		grid.Write(s.Out, render.Table)
	}
	more(r.More)
}

// sizeAndBytes gives a size for people and exactly, as info does:
// "3.2 MiB (3,303,016 bytes)".
func sizeAndBytes(b uint64) string {
	return fmt.Sprintf("%s (%s bytes)", render.Size(b), commas(int64(b)))
}

// retainedText is a shown object's retained size in a table, or
// "(unreachable)" for garbage: its 0 B read as a live object that holds
// nothing else.
func retainedText(ref *objectRef) string {
	if !ref.Reachable {
		return "(unreachable)"
	}
	return render.Size(ref.Retained)
}

// parseID reads an object id: hexadecimal, with or without 0x.
func parseID(s string) (uint64, error) {
	return strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 64)
}

// dumpName reports whether arg names an existing file: inspect given only
// a dump has been given no object.
func dumpName(arg string) bool {
	fi, err := os.Stat(arg)
	return err == nil && !fi.IsDir()
}

// javaFloat writes a float or double field's value, its infinities and
// NaN as Java writes them ("Infinity", not Go's "+Inf").
func javaFloat(f float64, bitSize int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', -1, bitSize)
}
