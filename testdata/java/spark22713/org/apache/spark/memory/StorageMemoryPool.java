package org.apache.spark.memory;

import org.apache.spark.storage.BlockId;
import org.apache.spark.storage.memory.MemoryStore;

/** Spark 2.2's org.apache.spark.memory.StorageMemoryPool: {@code _memoryUsed} bytes of cached blocks. */
public class StorageMemoryPool extends MemoryPool {

    private final String poolName;
    private long _memoryUsed = 0L;
    private MemoryStore _memoryStore;

    StorageMemoryPool(Object lock, MemoryMode memoryMode) {
        super(lock);
        this.poolName = memoryMode == MemoryMode.ON_HEAP ? "on-heap storage" : "off-heap storage";
    }

    public long memoryUsed() {
        return _memoryUsed;
    }

    public MemoryStore memoryStore() {
        return _memoryStore;
    }

    final void setMemoryStore(MemoryStore store) {
        _memoryStore = store;
    }

    boolean acquireMemory(BlockId blockId, long numBytes) {
        if (numBytes > memoryFree()) {
            return false;
        }
        _memoryUsed += numBytes;
        return true;
    }
}
