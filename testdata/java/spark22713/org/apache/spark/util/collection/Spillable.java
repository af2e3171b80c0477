package org.apache.spark.util.collection;

import org.apache.spark.memory.MemoryConsumer;
import org.apache.spark.memory.MemoryMode;
import org.apache.spark.memory.TaskMemoryManager;

/**
 * Spark 2.2's org.apache.spark.util.collection.Spillable: a MemoryConsumer
 * that acquires execution memory as its collection grows (maybeSpill) and
 * can be forced to spill by another consumer of the same task.
 *
 * The fixture's initialMemoryThreshold is 256 KiB instead of Spark's 5 MiB
 * (spark.shuffle.spill.initialMemoryThreshold), to keep the dump small.
 */
public abstract class Spillable extends MemoryConsumer {

    private final long initialMemoryThreshold = 256L * 1024L;
    private final long numElementsForceSpillThreshold = Long.MAX_VALUE;
    private volatile long myMemoryThreshold = initialMemoryThreshold;
    private int _elementsRead = 0;
    private volatile long _memoryBytesSpilled = 0L;
    private int _spillCount = 0;

    protected Spillable(TaskMemoryManager taskMemoryManager) {
        super(taskMemoryManager);
    }

    /** Spills the current in-memory collection to disk, and releases the memory. */
    protected abstract void spill(Object collection);

    /** Forces the in-memory collection to spill; returns whether it did. */
    protected abstract boolean forceSpill();

    protected int elementsRead() {
        return _elementsRead;
    }

    protected void addElementsRead() {
        _elementsRead += 1;
    }

    /**
     * Spills the current in-memory collection to disk if needed; attempts to
     * acquire more memory before spilling.
     */
    protected boolean maybeSpill(Object collection, long currentMemory) {
        boolean shouldSpill = false;
        if (elementsRead() % 32 == 0 && currentMemory >= myMemoryThreshold) {
            long amountToRequest = 2 * currentMemory - myMemoryThreshold;
            long granted = acquireMemory(amountToRequest);
            myMemoryThreshold += granted;
            shouldSpill = currentMemory >= myMemoryThreshold;
        }
        shouldSpill = shouldSpill || _elementsRead > numElementsForceSpillThreshold;
        if (shouldSpill) {
            _spillCount += 1;
            spill(collection);
            _elementsRead = 0;
            _memoryBytesSpilled += currentMemory;
            releaseMemory();
        }
        return shouldSpill;
    }

    /** Called by the TaskMemoryManager when another consumer needs memory. */
    public long spill(long size, MemoryConsumer trigger) {
        if (trigger != this && taskMemoryManager.getTungstenMemoryMode() == MemoryMode.ON_HEAP) {
            boolean isSpilled = forceSpill();
            if (!isSpilled) {
                return 0L;
            }
            long freeMemory = myMemoryThreshold - initialMemoryThreshold;
            _memoryBytesSpilled += freeMemory;
            releaseMemory();
            return freeMemory;
        }
        return 0L;
    }

    public long memoryBytesSpilled() {
        return _memoryBytesSpilled;
    }

    /** Releases our memory back to the execution pool so other tasks can use it. */
    public void releaseMemory() {
        freeMemory(myMemoryThreshold - initialMemoryThreshold);
        myMemoryThreshold = initialMemoryThreshold;
    }
}
