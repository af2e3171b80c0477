package org.apache.spark.storage.memory;

import org.apache.spark.memory.MemoryMode;

/** Spark 2.2's case class DeserializedMemoryEntry(value: Array[T], size: Long, classTag): a MEMORY_ONLY block. */
public class DeserializedMemoryEntry implements MemoryEntry {

    private final Object[] value;
    private final long size;

    public DeserializedMemoryEntry(Object[] value, long size) {
        this.value = value;
        this.size = size;
    }

    public Object[] value() {
        return value;
    }

    public long size() {
        return size;
    }

    public MemoryMode memoryMode() {
        return MemoryMode.ON_HEAP;
    }
}
