package org.apache.spark.storage;

/** Spark 2.2's abstract org.apache.spark.storage.BlockId. */
public abstract class BlockId {

    /** A globally unique identifier for this block, e.g. rdd_2_0. */
    public abstract String name();

    public String toString() {
        return name();
    }
}
