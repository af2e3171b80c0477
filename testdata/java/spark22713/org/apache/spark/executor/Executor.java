// Spark22713: the heap of Apache Spark bug SPARK-22713 ("OOM caused by the
// memory contention and memory leak in TaskMemoryManager"; fixed by
// "ExternalAppendOnlyMap leaks when spilled during iteration"), rebuilt with
// Spark 2.2's real class and field names so that leakscan can be tested on
// the shape of a real Spark executor heap without shipping Spark.
//
// Regenerate the committed dumps (from the repository root) with:
//
//   go run ./internal/testjvm/capture -program Spark22713 -main org.apache.spark.executor.Executor -src testdata/java -out testdata/dumps -gz -flags "-Xmx128m -XX:+UseSerialGC -Xshare:off"
//
// What the heap holds when the program prints READY:
//
// - The thread "Executor task launch worker for task 223" is parked in
//   Executor$TaskRunner.run(), whose LOCAL variable taskMemoryManager is the
//   only reference to the task's org.apache.spark.memory.TaskMemoryManager
//   (taskAttemptId 223): a heap analyser sees it as a Java-frame root of
//   that thread.
// - Its consumers (a HashSet) hold two ExternalAppendOnlyMaps, as the
//   groupByKey stages of the PageRank job in the bug report would; keys are
//   URL strings "http://example.com/page/N", values byte[64] buffers:
//   1. SPILLED: 20,000 entries were inserted and the task had started
//      reading it (readingIterator = SpillableIterator over the
//      AppendOnlyMap$$anon$1 of currentMap) when the second map's memory
//      request forced it to spill. Now currentMap == null and used == 0,
//      but readingIterator.upstream (the AppendOnlyMap$$anon$1, exhausted)
//      still has $outer = the old SizeTrackingAppendOnlyMap with all 20,000
//      entries: the leak. nextUpstream is the DiskMapIterator of the spill.
//   2. LIVE: 5,000 entries in currentMap, used > 0 (the bytes the
//      TaskMemoryManager granted it). It is smaller than the leaked map.
// - SparkEnv.env (a static field) -> UnifiedMemoryManager, whose execution
//   pool's memoryForTask says task 223 holds only the live map's bytes, and
//   -> blockManager.memoryStore.entries: 3 cached blocks rdd_2_0..rdd_2_2
//   (DeserializedMemoryEntry, 40 URL strings each).
//
// The program checks this state itself and exits with an error instead of
// printing READY if it does not hold.
//
// Rules (as for every fixture): no lambdas, method references, streams or
// records, no string concatenation of non-constants (StringBuilder only) --
// the JVM must not spin any hidden classes.
package org.apache.spark.executor;

import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.spark.SparkEnv;
import org.apache.spark.memory.MemoryManager;
import org.apache.spark.memory.TaskMemoryManager;
import org.apache.spark.memory.UnifiedMemoryManager;
import org.apache.spark.storage.BlockManager;
import org.apache.spark.storage.DiskBlockManager;
import org.apache.spark.storage.RDDBlockId;
import org.apache.spark.util.collection.ExternalAppendOnlyMap;
import scala.Tuple2;

/** Spark 2.2's org.apache.spark.executor.Executor, plus the fixture's main. */
public class Executor {

    /** Entries of the map that gets spilled while being read (the leak). */
    static final int SPILLED_MAP_ENTRIES = 20000;
    /** Entries of the live map whose growth forces the spill. */
    static final int LIVE_MAP_ENTRIES = 5000;
    /** Pairs the task reads from the first map before it starts the second. */
    static final int READ_BEFORE_SECOND_MAP = 1000;
    /** Bytes of each value buffer. */
    static final int VALUE_BYTES = 64;
    /**
     * UnifiedMemoryManager.maxHeapMemory; half of it is the storage region,
     * the other half (4,456,448 bytes) the execution pool: room for the
     * first map's grants, not for both maps'.
     */
    static final long MAX_HEAP_MEMORY = 17L * 512L * 1024L;

    private final String executorId;
    private final String executorHostname;
    private final SparkEnv env;
    private final ConcurrentHashMap<Long, TaskRunner> runningTasks = new ConcurrentHashMap<Long, TaskRunner>();

    public Executor(String executorId, String executorHostname, SparkEnv env) {
        this.executorId = executorId;
        this.executorHostname = executorHostname;
        this.env = env;
    }

    /** Starts a task on a thread named like Spark's task launch workers. */
    public Thread launchTask(long taskId, String taskName) {
        TaskRunner tr = new TaskRunner(this, taskId, taskName);
        runningTasks.put(Long.valueOf(taskId), tr);
        Thread t = new Thread(tr, tr.threadName);
        t.start();
        return t;
    }

    public static void main(String[] args) throws Exception {
        UnifiedMemoryManager memoryManager = new UnifiedMemoryManager(MAX_HEAP_MEMORY, MAX_HEAP_MEMORY / 2, 1);
        DiskBlockManager diskBlockManager =
            new DiskBlockManager("/tmp/spark-local-20171207/blockmgr-5b4e2c1a-8d2f-4c1e-9a7b-22713cafe001");
        BlockManager blockManager = new BlockManager("1", memoryManager, diskBlockManager);
        SparkEnv.set(new SparkEnv("1", blockManager, memoryManager));

        // The PageRank job caches its links RDD (rdd 2): three partitions.
        for (int split = 0; split < 3; split++) {
            Object[] values = new Object[40];
            for (int i = 0; i < values.length; i++) {
                values[i] = url(100000 + split * 1000 + i);
            }
            if (!blockManager.putValues(new RDDBlockId(2, split), values)) {
                fail("could not cache rdd_2_", split);
            }
        }

        Executor executor = new Executor("1", "localhost", SparkEnv.get());
        Thread worker = executor.launchTask(223L, "task 23.0 in stage 7.0 (TID 223)");
        worker.join();
    }

    static String url(int page) {
        return new StringBuilder("http://example.com/page/").append(page).toString();
    }

    static byte[] buffer(int page) {
        byte[] b = new byte[VALUE_BYTES];
        b[0] = (byte) (page >>> 24);
        b[1] = (byte) (page >>> 16);
        b[2] = (byte) (page >>> 8);
        b[3] = (byte) page;
        return b;
    }

    static void fail(String what, long value) {
        System.err.println(new StringBuilder("Spark22713: unexpected state: ").append(what).append(value).toString());
        System.exit(1);
    }

    /**
     * Executor$TaskRunner: an inner class in Spark, here a static nested
     * class with scalac's explicit {@code $outer} field.
     */
    static final class TaskRunner implements Runnable {

        private static final Object PARK = new Object();

        final long taskId;
        final String threadName;
        private final String taskName;
        private volatile long threadId = -1L;
        private volatile boolean finished = false;
        private final Executor $outer;

        TaskRunner(Executor $outer, long taskId, String taskName) {
            this.$outer = $outer;
            this.taskId = taskId;
            this.taskName = taskName;
            this.threadName = new StringBuilder("Executor task launch worker for task ").append(taskId).toString();
        }

        public void run() {
            threadId = Thread.currentThread().getId();
            Thread.currentThread().setName(threadName);
            // As in Spark 2.2's TaskRunner.run(): the task's memory manager
            // is a local variable of this frame, and only of this frame.
            TaskMemoryManager taskMemoryManager = new TaskMemoryManager($outer.env.memoryManager, taskId);
            runTask(taskMemoryManager);
            System.out.println("READY");
            System.out.flush();
            // The task "hangs" here (it would go on reading the second map);
            // taskMemoryManager stays live in this frame.
            while (taskMemoryManager != null) {
                synchronized (PARK) {
                    try {
                        PARK.wait();
                    } catch (InterruptedException e) {
                        // keep waiting
                    }
                }
            }
        }

        /**
         * The part of the task that matters: two shuffle aggregations in the
         * same task, the first one being read while the second one grows.
         * Everything it builds is reachable only from taskMemoryManager once
         * it returns.
         */
        private static void runTask(TaskMemoryManager taskMemoryManager) {
            BlockManager blockManager = SparkEnv.get().blockManager;

            ExternalAppendOnlyMap first = new ExternalAppendOnlyMap(taskMemoryManager, blockManager);
            for (int i = 0; i < SPILLED_MAP_ENTRIES; i++) {
                first.insert(url(i), buffer(i));
            }
            long firstUsed = first.getUsed();
            Iterator<Tuple2> it = first.iterator();
            for (int i = 0; i < READ_BEFORE_SECOND_MAP; i++) {
                it.next();
            }

            ExternalAppendOnlyMap second = new ExternalAppendOnlyMap(taskMemoryManager, blockManager);
            for (int i = 0; i < LIVE_MAP_ENTRIES; i++) {
                int page = SPILLED_MAP_ENTRIES + i;
                second.insert(url(page), buffer(page));
            }

            // Self-checks: the SPARK-22713 state, or no READY.
            MemoryManager mm = SparkEnv.get().memoryManager;
            if (taskMemoryManager.consumerCount() != 2) {
                fail("consumers: ", taskMemoryManager.consumerCount());
            }
            if (first.hasCurrentMap() || first.getUsed() != 0 || !first.readingIteratorHasSpilled()) {
                fail("first map not force-spilled during iteration; used before: ", firstUsed);
            }
            if (first.spilledMapCount() != 0) {
                fail("first map spilled during insertion: ", first.spilledMapCount());
            }
            if (first.readingIteratorRetainedEntries() != SPILLED_MAP_ENTRIES) {
                fail("readingIterator.upstream retains entries: ", first.readingIteratorRetainedEntries());
            }
            if (second.currentMapSize() != LIVE_MAP_ENTRIES || second.spilledMapCount() != 0
                || second.getUsed() <= 0) {
                fail("second map not live; used: ", second.getUsed());
            }
            if (mm.getExecutionMemoryUsageForTask(223L) != second.getUsed()) {
                fail("memoryForTask(223): ", mm.getExecutionMemoryUsageForTask(223L));
            }
            System.out.println(new StringBuilder("spilled map: ").append(SPILLED_MAP_ENTRIES)
                .append(" entries retained, used 0 (was ").append(firstUsed)
                .append("), spilled ").append(first.memoryBytesSpilled()).append(" bytes").toString());
            System.out.println(new StringBuilder("live map: ").append(LIVE_MAP_ENTRIES)
                .append(" entries, used ").append(second.getUsed())
                .append("; memoryForTask(223) = ").append(mm.getExecutionMemoryUsageForTask(223L))
                .append("; storage used ").append(mm.storageMemoryUsed()).toString());
        }
    }
}
