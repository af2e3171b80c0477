package org.apache.spark.memory;

import org.apache.spark.storage.BlockId;

/**
 * Spark 2.2's org.apache.spark.memory.UnifiedMemoryManager (fields
 * maxHeapMemory and onHeapStorageRegionSize; the pools are inherited from
 * MemoryManager). Simplified: execution does not borrow from storage.
 */
public class UnifiedMemoryManager extends MemoryManager {

    private final long maxHeapMemory;
    private final long onHeapStorageRegionSize;

    public UnifiedMemoryManager(long maxHeapMemory, long onHeapStorageRegionSize, int numCores) {
        super(numCores, onHeapStorageRegionSize, maxHeapMemory - onHeapStorageRegionSize);
        this.maxHeapMemory = maxHeapMemory;
        this.onHeapStorageRegionSize = onHeapStorageRegionSize;
    }

    public long maxOnHeapStorageMemory() {
        synchronized (this) {
            return maxHeapMemory - onHeapExecutionMemoryPool.memoryUsed();
        }
    }

    public long acquireExecutionMemory(long numBytes, long taskAttemptId, MemoryMode memoryMode) {
        synchronized (this) {
            return onHeapExecutionMemoryPool.acquireMemory(numBytes, taskAttemptId);
        }
    }

    public boolean acquireStorageMemory(BlockId blockId, long numBytes, MemoryMode memoryMode) {
        synchronized (this) {
            if (numBytes > maxOnHeapStorageMemory()) {
                return false;
            }
            return onHeapStorageMemoryPool.acquireMemory(blockId, numBytes);
        }
    }
}
