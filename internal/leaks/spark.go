package leaks

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/paths"
)

// Consumer is a Spark MemoryConsumer of a task.
type Consumer struct {
	Object
	Used int64 `json:"used_bytes"` // what MemoryConsumer.used claims
	// Mode is MemoryConsumer.mode, the pool its claim is on: ON_HEAP,
	// OFF_HEAP, or "" when the consumer has no such field (before Spark
	// 2.0), taken as on the heap.
	Mode string `json:"mode"`
	// Unaccounted is set when the consumer retains more than it claims on
	// the heap (its Used, or nothing for an OFF_HEAP one) by more than
	// SparkSlack: memory the task memory manager does not know of
	// (SPARK-22713).
	Unaccounted bool `json:"unaccounted"`
}

// OffHeap reports whether c claims off-heap execution memory: what it
// retains on the heap is then beyond its claim.
func (c Consumer) OffHeap() bool { return c.Mode == "OFF_HEAP" }

// Task is one TaskMemoryManager.
type Task struct {
	Object
	TaskAttemptID int64      `json:"task_attempt_id"`
	Consumers     []Consumer `json:"consumers"`
	// ExecutionMemory is what the on-heap execution pools' memoryForTask
	// says the task holds: 0 when the map has no entry for it
	// (releaseMemory removes a task's entry when it reaches 0), nil (JSON
	// null) when no such map was read. OffHeapExecutionMemory is the same
	// of the off-heap pools (spark.memory.offHeap.enabled), whose memory
	// is not the heap's: the two are not added.
	ExecutionMemory        *int64 `json:"execution_memory_bytes"`
	OffHeapExecutionMemory *int64 `json:"off_heap_execution_memory_bytes"`
}

// Pool is a memory pool's size and use.
type Pool struct {
	Name     string `json:"name"`
	Object   Object `json:"object"`
	PoolSize int64  `json:"pool_size_bytes"`
	Used     int64  `json:"used_bytes"`
	// HeapHolds is what the heap really holds for an on-heap pool: the
	// retained size of the on-heap consumers (execution) or of the cached
	// blocks (storage). 0 for the off-heap pools, whose memory is not the
	// heap's.
	HeapHolds uint64 `json:"heap_holds_bytes"`
	// MemoryForTask is an execution pool's memoryForTask: task attempt to
	// bytes granted. Empty for a storage pool, which has none.
	MemoryForTask map[int64]int64 `json:"memory_for_task"`
	// readMemoryForTask: the pool's memoryForTask was read, so a task
	// missing from MemoryForTask holds nothing of it.
	readMemoryForTask bool
}

// OffHeap reports whether the pool's memory is off the heap.
func (p Pool) OffHeap() bool { return strings.HasPrefix(p.Name, "offHeap") }

// MemoryManager is a UnifiedMemoryManager (or StaticMemoryManager).
type MemoryManager struct {
	Object
	// MaxHeapMemory and StorageRegionSize are UnifiedMemoryManager's
	// maxHeapMemory and onHeapStorageRegionSize, nil (JSON null) when the
	// manager has no such field (StaticMemoryManager).
	MaxHeapMemory     *int64 `json:"max_heap_memory_bytes"`
	StorageRegionSize *int64 `json:"storage_region_bytes"`
	Pools             []Pool `json:"pools"`
}

// Block is a cached block in the MemoryStore.
type Block struct {
	ID    string `json:"block_id"`
	Entry Object `json:"entry"`
	Size  int64  `json:"size_bytes"` // what the entry says
}

// SparkReport is what `leakscan spark` prints.
type SparkReport struct {
	// Found: the heap has some org.apache.spark class. It may still have
	// none of an executor's memory accounting (a job server's, a client's).
	Found    bool            `json:"spark_found"`
	Tasks    []Task          `json:"tasks"`
	Managers []MemoryManager `json:"memory_managers"`
	Blocks   []Block         `json:"cached_blocks"` // biggest retained first
	Netty    []OwnerGroup    `json:"netty_direct_memory"`
}

// Empty reports whether the heap shows nothing of an executor's memory:
// no task, memory manager, cached block nor netty arena.
func (r *SparkReport) Empty() bool {
	return len(r.Tasks) == 0 && len(r.Managers) == 0 && len(r.Blocks) == 0 && len(r.Netty) == 0
}

// SparkSlack is how much more than MemoryConsumer.used a consumer may
// retain before it is flagged (the same bound as builtin:spark).
const SparkSlack = 1 << 20

// maxEntries bounds the collections walked.
const maxEntries = 1 << 20

// Spark reads an executor's memory accounting from its heap.
func Spark(g *heap.Graph, t *dominator.Tree, s *paths.Search) *SparkReport {
	r := &SparkReport{Tasks: []Task{}, Managers: []MemoryManager{}, Blocks: []Block{}, Netty: []OwnerGroup{}}
	for _, c := range g.Classes {
		if strings.HasPrefix(c.Name, "org.apache.spark.") {
			r.Found = true
			break
		}
	}
	if !r.Found {
		return r
	}
	// Pools first: memoryForTask tells what each task holds.
	for _, o := range instancesOf(g, "org.apache.spark.memory.MemoryManager") {
		f := readFields(g, o)
		m := MemoryManager{Object: objectOf(g, t, o), Pools: []Pool{}}
		m.MaxHeapMemory = numOrNil(f, "maxHeapMemory")
		m.StorageRegionSize = numOrNil(f, "onHeapStorageRegionSize")
		for _, name := range []string{"onHeapStorageMemoryPool", "onHeapExecutionMemoryPool", "offHeapStorageMemoryPool", "offHeapExecutionMemoryPool"} {
			p := f.ref(name)
			if p == heap.None {
				continue
			}
			pf := readFields(g, p)
			pool := Pool{Name: name, Object: objectOf(g, t, p), MemoryForTask: map[int64]int64{}}
			pool.PoolSize, _ = pf.num("_poolSize")
			pool.Used, _ = pf.num("_memoryUsed")
			if mft := pf.ref("memoryForTask"); mft != heap.None {
				pool.readMemoryForTask = true
				pool.Used = 0
				for _, e := range elements(g, mft, maxEntries) {
					task, _ := readFields(g, e.key).num("value")
					bytes, _ := readFields(g, e.value).num("value")
					pool.MemoryForTask[task] += bytes
					pool.Used += bytes
				}
			}
			m.Pools = append(m.Pools, pool)
		}
		r.Managers = append(r.Managers, m)
	}
	var consumersHold uint64
	for _, o := range instancesOf(g, "org.apache.spark.memory.TaskMemoryManager") {
		f := readFields(g, o)
		task := Task{Object: objectOf(g, t, o), Consumers: []Consumer{}}
		task.TaskAttemptID, _ = f.num("taskAttemptId")
		task.ExecutionMemory = executionMemory(r.Managers, task.TaskAttemptID, false)
		task.OffHeapExecutionMemory = executionMemory(r.Managers, task.TaskAttemptID, true)
		for _, e := range elements(g, f.ref("consumers"), maxEntries) {
			cf := readFields(g, e.key)
			used, _ := cf.num("used")
			c := Consumer{Object: objectOf(g, t, e.key), Used: used}
			c.Mode, _ = g.ConstantName(cf.ref("mode"))
			onHeap := uint64(max(used, 0))
			if c.OffHeap() {
				onHeap = 0
			}
			c.Unaccounted = c.Retained > onHeap+SparkSlack
			if !c.OffHeap() {
				consumersHold += c.Retained
			}
			task.Consumers = append(task.Consumers, c)
		}
		slices.SortStableFunc(task.Consumers, func(a, b Consumer) int {
			return cmp.Or(cmp.Compare(b.Retained, a.Retained), strings.Compare(a.ID, b.ID)) // biggest first
		})
		r.Tasks = append(r.Tasks, task)
	}
	var blocksHold uint64
	for _, o := range instancesOf(g, "org.apache.spark.storage.memory.MemoryStore") {
		for _, e := range elements(g, readFields(g, o).ref("entries"), maxEntries) {
			b := Block{ID: blockName(g, e.key), Entry: objectOf(g, t, e.value)}
			b.Size, _ = readFields(g, e.value).num("size")
			blocksHold += b.Entry.Retained
			r.Blocks = append(r.Blocks, b)
		}
	}
	slices.SortStableFunc(r.Blocks, func(a, b Block) int {
		return cmp.Or(cmp.Compare(b.Entry.Retained, a.Entry.Retained), strings.Compare(a.ID, b.ID)) // biggest first
	})
	for i := range r.Managers {
		for j := range r.Managers[i].Pools {
			p := &r.Managers[i].Pools[j]
			switch {
			case p.OffHeap():
			case strings.Contains(p.Name, "onHeapExecution"):
				p.HeapHolds = consumersHold
			case strings.Contains(p.Name, "onHeapStorage"):
				p.HeapHolds = blocksHold
			}
		}
	}
	for _, og := range OffHeap(g, t, s).Owners {
		if strings.HasPrefix(og.Owner, "io.netty.") {
			r.Netty = append(r.Netty, og)
		}
	}
	return r
}

// numOrNil returns a numeric field, or nil when the object has no such
// field.
func numOrNil(f fields, name string) *int64 {
	if n, ok := f.num(name); ok {
		return &n
	}
	return nil
}

// executionMemory is what the managers' memoryForTask maps, of their
// off-heap pools or of their on-heap ones, say a task holds, or nil when
// none of them was read.
func executionMemory(managers []MemoryManager, task int64, offHeap bool) *int64 {
	bytes, read := int64(0), false
	for _, m := range managers {
		for _, p := range m.Pools {
			if p.OffHeap() == offHeap && p.readMemoryForTask {
				bytes += p.MemoryForTask[task]
				read = true
			}
		}
	}
	if !read {
		return nil
	}
	return &bytes
}

// blockName names a BlockId as Spark does (rdd_2_7); other kinds by class.
func blockName(g *heap.Graph, o heap.ObjectIndex) string {
	if o == heap.None {
		return "?"
	}
	f := readFields(g, o)
	name := g.Classes[g.ClassOf(o)].Name
	if strings.HasSuffix(name, ".RDDBlockId") {
		rdd, _ := f.num("rddId")
		split, _ := f.num("splitIndex")
		return fmt.Sprintf("rdd_%d_%d", rdd, split)
	}
	if s := f.str("name"); s != "" {
		return s
	}
	return name[strings.LastIndexByte(name, '.')+1:] + fmt.Sprintf("@0x%x", g.ID(o))
}
