package org.apache.spark.util.collection;

import java.util.ArrayDeque;

import org.apache.spark.util.SizeEstimator;

/**
 * Spark 2.2's org.apache.spark.util.collection.SizeTrackingAppendOnlyMap:
 * an AppendOnlyMap with SizeTracker mixed in (samples the map's size at
 * exponentially spaced updates and extrapolates in between).
 */
public class SizeTrackingAppendOnlyMap extends AppendOnlyMap implements SizeTracker {

    // SizeTracker's fields.
    private final double SAMPLE_GROWTH_RATE = 1.1;
    private final ArrayDeque<SizeTracker.Sample> samples = new ArrayDeque<SizeTracker.Sample>();
    private double bytesPerUpdate;
    private long numUpdates;
    private long nextSampleNum;

    public SizeTrackingAppendOnlyMap() {
        super();
        resetSamples();
    }

    public void update(Object key, Object value) {
        super.update(key, value);
        afterUpdate();
    }

    protected void growTable() {
        super.growTable();
        resetSamples();
    }

    // ---- SizeTracker ----

    protected void resetSamples() {
        numUpdates = 1;
        nextSampleNum = 1;
        samples.clear();
        takeSample();
    }

    protected void afterUpdate() {
        numUpdates += 1;
        if (nextSampleNum == numUpdates) {
            takeSample();
        }
    }

    private void takeSample() {
        samples.addLast(new SizeTracker.Sample(SizeEstimator.estimate(this), numUpdates));
        if (samples.size() > 2) {
            samples.removeFirst();
        }
        double bytesDelta = 0;
        if (samples.size() == 2) {
            SizeTracker.Sample previous = samples.peekFirst();
            SizeTracker.Sample latest = samples.peekLast();
            bytesDelta = (double) (latest.size - previous.size) / (latest.numUpdates - previous.numUpdates);
        }
        bytesPerUpdate = Math.max(0, bytesDelta);
        nextSampleNum = (long) Math.ceil(numUpdates * SAMPLE_GROWTH_RATE);
    }

    public long estimateSize() {
        SizeTracker.Sample last = samples.peekLast();
        double extrapolatedDelta = bytesPerUpdate * (numUpdates - last.numUpdates);
        return (long) (last.size + extrapolatedDelta);
    }
}
