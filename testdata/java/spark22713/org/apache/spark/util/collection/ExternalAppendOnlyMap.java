package org.apache.spark.util.collection;

import java.io.File;
import java.util.ArrayList;
import java.util.Iterator;

import org.apache.spark.memory.TaskMemoryManager;
import org.apache.spark.storage.BlockManager;
import org.apache.spark.storage.DiskBlockManager;
import org.apache.spark.storage.TempLocalBlockId;
import scala.Tuple2;

/**
 * Spark 2.2's org.apache.spark.util.collection.ExternalAppendOnlyMap: an
 * append-only map that spills to disk when memory runs short.
 *
 * SPARK-22713: iterator() wraps currentMap.iterator() (an
 * AppendOnlyMap$$anon$1) in a SpillableIterator kept in readingIterator.
 * When another consumer of the task forces a spill while this map is being
 * read, forceSpill() writes the rest of the map to disk, sets currentMap to
 * null and releases the memory (used = 0) -- but readingIterator.upstream
 * still points at the in-memory iterator, whose $outer is the old map, until
 * the next readNext(). If the task never reads this iterator again, the
 * whole map stays on the heap while the TaskMemoryManager counts it as 0.
 *
 * Nothing is written to disk; spilling only computes batch sizes.
 */
public class ExternalAppendOnlyMap extends Spillable {

    private final BlockManager blockManager;
    private volatile SizeTrackingAppendOnlyMap currentMap = new SizeTrackingAppendOnlyMap();
    private final ArrayList<DiskMapIterator> spilledMaps = new ArrayList<DiskMapIterator>();
    private final DiskBlockManager diskBlockManager;
    private final long serializerBatchSize = 10000L;
    private long _diskBytesSpilled = 0L;
    private final int fileBufferSize = 32 * 1024;
    private long _peakMemoryUsedBytes = 0L;
    private volatile SpillableIterator readingIterator = null;

    public ExternalAppendOnlyMap(TaskMemoryManager taskMemoryManager, BlockManager blockManager) {
        super(taskMemoryManager);
        this.blockManager = blockManager;
        this.diskBlockManager = blockManager.diskBlockManager;
    }

    /** Inserts the given key and value into the map (insertAll of one pair). */
    public void insert(Object key, Object value) {
        if (currentMap == null) {
            throw new IllegalStateException(
                "Cannot insert new elements into a map after calling iterator");
        }
        long estimatedSize = currentMap.estimateSize();
        if (estimatedSize > _peakMemoryUsedBytes) {
            _peakMemoryUsedBytes = estimatedSize;
        }
        if (maybeSpill(currentMap, estimatedSize)) {
            currentMap = new SizeTrackingAppendOnlyMap();
        }
        currentMap.update(key, value);
        addElementsRead();
    }

    /** Sort-free stand-in for Spark's spill: the in-memory map goes "to disk". */
    protected void spill(Object collection) {
        SizeTrackingAppendOnlyMap map = (SizeTrackingAppendOnlyMap) collection;
        DiskMapIterator diskMapIterator = spillMemoryIteratorToDisk(map.iterator());
        spilledMaps.add(diskMapIterator);
    }

    /** Forces the in-memory collection (or the one being read) to disk. */
    protected boolean forceSpill() {
        if (readingIterator != null) {
            boolean isSpilled = readingIterator.spill();
            if (isSpilled) {
                currentMap = null;
            }
            return isSpilled;
        } else if (currentMap.size() > 0) {
            spill(currentMap);
            currentMap = new SizeTrackingAppendOnlyMap();
            return true;
        } else {
            return false;
        }
    }

    /** "Writes" the pairs of inMemoryIterator in batches of serializerBatchSize. */
    private DiskMapIterator spillMemoryIteratorToDisk(Iterator<Tuple2> inMemoryIterator) {
        TempLocalBlockId blockId = diskBlockManager.createTempLocalBlock();
        File file = diskBlockManager.getFile(blockId);
        ArrayList<Long> batchSizes = new ArrayList<Long>();
        long batchBytes = 0;
        long objectsWritten = 0;
        while (inMemoryIterator.hasNext()) {
            Tuple2 kv = inMemoryIterator.next();
            batchBytes += serializedSize(kv._1) + serializedSize(kv._2);
            objectsWritten += 1;
            if (objectsWritten == serializerBatchSize) {
                batchSizes.add(Long.valueOf(batchBytes));
                _diskBytesSpilled += batchBytes;
                batchBytes = 0;
                objectsWritten = 0;
            }
        }
        if (objectsWritten > 0) {
            batchSizes.add(Long.valueOf(batchBytes));
            _diskBytesSpilled += batchBytes;
        }
        return new DiskMapIterator(this, file, blockId, batchSizes);
    }

    private static long serializedSize(Object o) {
        if (o instanceof String) {
            return 2 + ((String) o).length();
        }
        if (o instanceof byte[]) {
            return 2 + ((byte[]) o).length;
        }
        return 8;
    }

    /**
     * Returns a destructive iterator over the map. As in Spark 2.2 when
     * nothing was spilled during insertion: readingIterator =
     * new SpillableIterator(currentMap.iterator).
     */
    public Iterator<Tuple2> iterator() {
        if (currentMap == null) {
            throw new IllegalStateException(
                "ExternalAppendOnlyMap.iterator is destructive and should only be called once.");
        }
        if (!spilledMaps.isEmpty()) {
            throw new UnsupportedOperationException("the fixture does not merge spilled maps");
        }
        return destructiveIterator(currentMap.iterator());
    }

    public Iterator<Tuple2> destructiveIterator(Iterator<Tuple2> inMemoryIterator) {
        readingIterator = new SpillableIterator(this, inMemoryIterator);
        return readingIterator;
    }

    // Accessors for the fixture's self-checks (not in Spark).

    public boolean hasCurrentMap() {
        return currentMap != null;
    }

    public int currentMapSize() {
        return currentMap == null ? 0 : currentMap.size();
    }

    public int spilledMapCount() {
        return spilledMaps.size();
    }

    /** Entries still held by readingIterator.upstream's map, -1 if it is not an in-memory iterator. */
    public int readingIteratorRetainedEntries() {
        if (readingIterator == null || !(readingIterator.upstream instanceof AppendOnlyMap.$anon$1)) {
            return -1;
        }
        return readingIterator.retainedMapSize();
    }

    public boolean readingIteratorHasSpilled() {
        return readingIterator != null && readingIterator.hasSpilled;
    }

    /**
     * ExternalAppendOnlyMap$SpillableIterator: an inner class in Spark, here
     * a static nested class with scalac's explicit {@code $outer} field.
     */
    static final class SpillableIterator implements Iterator<Tuple2> {

        Iterator<Tuple2> upstream;
        private final Object SPILL_LOCK = new Object();
        private Iterator<Tuple2> nextUpstream = null;
        private Tuple2 cur;
        private boolean hasSpilled = false;
        private final ExternalAppendOnlyMap $outer;

        SpillableIterator(ExternalAppendOnlyMap $outer, Iterator<Tuple2> upstream) {
            this.$outer = $outer;
            this.upstream = upstream;
            this.cur = readNext();
        }

        boolean spill() {
            synchronized (SPILL_LOCK) {
                if (hasSpilled) {
                    return false;
                }
                nextUpstream = $outer.spillMemoryIteratorToDisk(upstream);
                hasSpilled = true;
                return true;
            }
        }

        Tuple2 readNext() {
            synchronized (SPILL_LOCK) {
                if (nextUpstream != null) {
                    upstream = nextUpstream;
                    nextUpstream = null;
                }
                return upstream.hasNext() ? upstream.next() : null;
            }
        }

        public boolean hasNext() {
            return cur != null;
        }

        public Tuple2 next() {
            Tuple2 r = cur;
            cur = readNext();
            return r;
        }

        int retainedMapSize() {
            AppendOnlyMap.$anon$1 it = (AppendOnlyMap.$anon$1) upstream;
            return it.outer().size();
        }
    }

    /**
     * ExternalAppendOnlyMap$DiskMapIterator: reads a spilled map back in
     * batches (never actually read by the fixture).
     */
    static final class DiskMapIterator implements Iterator<Tuple2> {

        private final File file;
        private final TempLocalBlockId blockId;
        private final long[] batchOffsets;
        private int batchIndex = 0;
        private Object fileStream = null;
        private Object deserializeStream = null;
        private Tuple2 nextItem = null;
        private int objectsRead = 0;
        private final ExternalAppendOnlyMap $outer;

        DiskMapIterator(ExternalAppendOnlyMap $outer, File file, TempLocalBlockId blockId, ArrayList<Long> batchSizes) {
            this.$outer = $outer;
            this.file = file;
            this.blockId = blockId;
            this.batchOffsets = new long[batchSizes.size() + 1];
            for (int i = 0; i < batchSizes.size(); i++) {
                batchOffsets[i + 1] = batchOffsets[i] + batchSizes.get(i).longValue();
            }
        }

        public boolean hasNext() {
            return false;
        }

        public Tuple2 next() {
            throw new java.util.NoSuchElementException();
        }
    }
}
