package org.apache.spark.util.collection;

/**
 * Spark 2.2's trait org.apache.spark.util.collection.SizeTracker. The
 * trait's fields live in the class that mixes it in
 * (SizeTrackingAppendOnlyMap); Sample is the case class of its companion
 * object, binary name SizeTracker$Sample.
 */
public interface SizeTracker {

    /** Estimate the current size of the collection in bytes. O(1) time. */
    long estimateSize();

    final class Sample {
        final long size;
        final long numUpdates;

        Sample(long size, long numUpdates) {
            this.size = size;
            this.numUpdates = numUpdates;
        }
    }
}
