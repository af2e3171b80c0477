package org.apache.spark.memory;

import java.io.IOException;
import java.util.BitSet;
import java.util.HashSet;

import org.apache.spark.unsafe.memory.MemoryBlock;

/**
 * Spark 2.2's org.apache.spark.memory.TaskMemoryManager, reduced to the
 * fields and the consumer bookkeeping: one per running task, created as a
 * local variable of Executor.TaskRunner.run().
 */
public class TaskMemoryManager {

    private static final int PAGE_NUMBER_BITS = 13;
    static final int OFFSET_BITS = 64 - PAGE_NUMBER_BITS;
    private static final int PAGE_TABLE_SIZE = 1 << PAGE_NUMBER_BITS;
    public static final long MAXIMUM_PAGE_SIZE_BYTES = ((1L << 31) - 1) * 8L;
    private static final long MASK_LONG_LOWER_51_BITS = 0x7FFFFFFFFFFFFL;

    private final MemoryBlock[] pageTable = new MemoryBlock[PAGE_TABLE_SIZE];
    private final BitSet allocatedPages = new BitSet(PAGE_TABLE_SIZE);
    private final MemoryManager memoryManager;
    private final long taskAttemptId;
    final MemoryMode tungstenMemoryMode;
    private final HashSet<MemoryConsumer> consumers;
    private volatile long acquiredButNotUsed = 0L;

    public TaskMemoryManager(MemoryManager memoryManager, long taskAttemptId) {
        this.tungstenMemoryMode = memoryManager.tungstenMemoryMode();
        this.memoryManager = memoryManager;
        this.taskAttemptId = taskAttemptId;
        this.consumers = new HashSet<MemoryConsumer>();
    }

    /**
     * Acquires N bytes of memory for a consumer. If there is not enough
     * memory, calls spill() on the other consumers to release more (Spark
     * 2.2's algorithm, minus logging).
     */
    public long acquireExecutionMemory(long required, MemoryConsumer consumer) {
        MemoryMode mode = consumer.getMode();
        synchronized (this) {
            long got = memoryManager.acquireExecutionMemory(required, taskAttemptId, mode);
            if (got < required) {
                for (MemoryConsumer c : consumers) {
                    if (c != consumer && c.getUsed() > 0 && c.getMode() == mode) {
                        try {
                            long released = c.spill(required - got, consumer);
                            if (released > 0) {
                                got += memoryManager.acquireExecutionMemory(required - got, taskAttemptId, mode);
                                if (got >= required) {
                                    break;
                                }
                            }
                        } catch (IOException e) {
                            throw new OutOfMemoryError(e.getMessage());
                        }
                    }
                }
            }
            if (got < required) {
                try {
                    long released = consumer.spill(required - got, consumer);
                    if (released > 0) {
                        got += memoryManager.acquireExecutionMemory(required - got, taskAttemptId, mode);
                    }
                } catch (IOException e) {
                    throw new OutOfMemoryError(e.getMessage());
                }
            }
            consumers.add(consumer);
            return got;
        }
    }

    public void releaseExecutionMemory(long size, MemoryConsumer consumer) {
        memoryManager.releaseExecutionMemory(size, taskAttemptId, consumer.getMode());
    }

    public long pageSizeBytes() {
        return memoryManager.pageSizeBytes();
    }

    public MemoryMode getTungstenMemoryMode() {
        return tungstenMemoryMode;
    }

    public long getTaskAttemptId() {
        return taskAttemptId;
    }

    public int consumerCount() {
        synchronized (this) {
            return consumers.size();
        }
    }

    public long getMemoryConsumptionForThisTask() {
        return memoryManager.getExecutionMemoryUsageForTask(taskAttemptId);
    }
}
