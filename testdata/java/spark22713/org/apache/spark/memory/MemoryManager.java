package org.apache.spark.memory;

import org.apache.spark.storage.BlockId;
import org.apache.spark.storage.memory.MemoryStore;

/**
 * Spark 2.2's abstract org.apache.spark.memory.MemoryManager: as in Spark,
 * the on-heap pools are fields of this superclass (an instance of
 * UnifiedMemoryManager has them too). The off-heap pools are left out.
 */
public abstract class MemoryManager {

    protected final StorageMemoryPool onHeapStorageMemoryPool;
    protected final ExecutionMemoryPool onHeapExecutionMemoryPool;
    protected final long maxOffHeapMemory;
    final MemoryMode tungstenMemoryMode;
    final long pageSizeBytes;
    final int numCores;

    protected MemoryManager(int numCores, long onHeapStorageMemory, long onHeapExecutionMemory) {
        this.numCores = numCores;
        this.onHeapStorageMemoryPool = new StorageMemoryPool(this, MemoryMode.ON_HEAP);
        this.onHeapExecutionMemoryPool = new ExecutionMemoryPool(this, MemoryMode.ON_HEAP);
        this.onHeapStorageMemoryPool.incrementPoolSize(onHeapStorageMemory);
        this.onHeapExecutionMemoryPool.incrementPoolSize(onHeapExecutionMemory);
        this.maxOffHeapMemory = 0L;
        this.tungstenMemoryMode = MemoryMode.ON_HEAP;
        this.pageSizeBytes = 1L << 20; // Spark's minimum page size for a small heap
    }

    public abstract long maxOnHeapStorageMemory();

    public final void setMemoryStore(MemoryStore store) {
        synchronized (this) {
            onHeapStorageMemoryPool.setMemoryStore(store);
        }
    }

    public abstract boolean acquireStorageMemory(BlockId blockId, long numBytes, MemoryMode memoryMode);

    public abstract long acquireExecutionMemory(long numBytes, long taskAttemptId, MemoryMode memoryMode);

    public void releaseExecutionMemory(long numBytes, long taskAttemptId, MemoryMode memoryMode) {
        synchronized (this) {
            onHeapExecutionMemoryPool.releaseMemory(numBytes, taskAttemptId);
        }
    }

    public final long executionMemoryUsed() {
        synchronized (this) {
            return onHeapExecutionMemoryPool.memoryUsed();
        }
    }

    public final long storageMemoryUsed() {
        synchronized (this) {
            return onHeapStorageMemoryPool.memoryUsed();
        }
    }

    public long getExecutionMemoryUsageForTask(long taskAttemptId) {
        synchronized (this) {
            return onHeapExecutionMemoryPool.getMemoryUsageForTask(taskAttemptId);
        }
    }

    public final MemoryMode tungstenMemoryMode() {
        return tungstenMemoryMode;
    }

    public final long pageSizeBytes() {
        return pageSizeBytes;
    }
}
