package org.apache.spark.memory;

/** As in Spark: a plain enum without bodies (no extra classes). */
public enum MemoryMode {
    ON_HEAP,
    OFF_HEAP
}
