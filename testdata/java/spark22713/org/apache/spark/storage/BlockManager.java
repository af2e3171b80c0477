package org.apache.spark.storage;

import org.apache.spark.memory.MemoryManager;
import org.apache.spark.storage.memory.MemoryStore;

/** Spark 2.2's org.apache.spark.storage.BlockManager, reduced to the fields the fixture uses. */
public class BlockManager {

    public final String executorId;
    public final MemoryManager memoryManager;
    public final DiskBlockManager diskBlockManager;
    public final MemoryStore memoryStore;

    public BlockManager(String executorId, MemoryManager memoryManager, DiskBlockManager diskBlockManager) {
        this.executorId = executorId;
        this.memoryManager = memoryManager;
        this.diskBlockManager = diskBlockManager;
        this.memoryStore = new MemoryStore(memoryManager, this);
        memoryManager.setMemoryStore(memoryStore);
    }

    /** Caches a block's deserialized values in memory (MEMORY_ONLY). */
    public boolean putValues(BlockId blockId, Object[] values) {
        return memoryStore.putValues(blockId, values);
    }
}
