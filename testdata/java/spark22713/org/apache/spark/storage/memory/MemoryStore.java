package org.apache.spark.storage.memory;

import java.util.LinkedHashMap;

import org.apache.spark.memory.MemoryManager;
import org.apache.spark.memory.MemoryMode;
import org.apache.spark.storage.BlockId;
import org.apache.spark.storage.BlockManager;
import org.apache.spark.util.SizeEstimator;

/**
 * Spark 2.2's org.apache.spark.storage.memory.MemoryStore: the cached blocks
 * in {@code entries}, an access-ordered LinkedHashMap as in Spark.
 */
public class MemoryStore {

    private final MemoryManager memoryManager;
    private final BlockManager blockEvictionHandler;
    private final LinkedHashMap<BlockId, MemoryEntry> entries =
        new LinkedHashMap<BlockId, MemoryEntry>(32, 0.75f, true);
    private final long unrollMemoryThreshold = 1024L * 1024L;

    public MemoryStore(MemoryManager memoryManager, BlockManager blockEvictionHandler) {
        this.memoryManager = memoryManager;
        this.blockEvictionHandler = blockEvictionHandler;
    }

    public boolean putValues(BlockId blockId, Object[] values) {
        long size = SizeEstimator.estimate(values);
        if (!memoryManager.acquireStorageMemory(blockId, size, MemoryMode.ON_HEAP)) {
            return false;
        }
        synchronized (entries) {
            entries.put(blockId, new DeserializedMemoryEntry(values, size));
        }
        return true;
    }

    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
