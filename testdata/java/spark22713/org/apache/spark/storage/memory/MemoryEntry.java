package org.apache.spark.storage.memory;

import org.apache.spark.memory.MemoryMode;

/** Spark 2.2's trait org.apache.spark.storage.memory.MemoryEntry. */
public interface MemoryEntry {
    long size();

    MemoryMode memoryMode();
}
