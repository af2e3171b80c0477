package org.apache.spark.memory;

import java.io.IOException;

/**
 * Spark 2.2's org.apache.spark.memory.MemoryConsumer: a consumer of task
 * execution memory. {@code used} is what the task memory manager believes
 * this consumer holds; SPARK-22713 is about it being 0 while the heap still
 * holds the consumer's data.
 */
public abstract class MemoryConsumer {

    protected final TaskMemoryManager taskMemoryManager;
    private final long pageSize;
    private final MemoryMode mode;
    protected long used;

    protected MemoryConsumer(TaskMemoryManager taskMemoryManager, long pageSize, MemoryMode mode) {
        this.taskMemoryManager = taskMemoryManager;
        this.pageSize = pageSize;
        this.mode = mode;
    }

    protected MemoryConsumer(TaskMemoryManager taskMemoryManager) {
        this(taskMemoryManager, taskMemoryManager.pageSizeBytes(), MemoryMode.ON_HEAP);
    }

    public MemoryMode getMode() {
        return mode;
    }

    public long getUsed() {
        return used;
    }

    public void spill() throws IOException {
        spill(Long.MAX_VALUE, this);
    }

    /**
     * Spills some data to disk to release memory; called by the
     * TaskMemoryManager when there is not enough memory for the task.
     * Returns the amount of memory released.
     */
    public abstract long spill(long size, MemoryConsumer trigger) throws IOException;

    public long acquireMemory(long size) {
        long granted = taskMemoryManager.acquireExecutionMemory(size, this);
        used += granted;
        return granted;
    }

    public void freeMemory(long size) {
        taskMemoryManager.releaseExecutionMemory(size, this);
        used -= size;
    }
}
