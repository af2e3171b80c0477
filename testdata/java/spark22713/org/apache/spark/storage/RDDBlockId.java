package org.apache.spark.storage;

/** Spark 2.2's org.apache.spark.storage.RDDBlockId(rddId, splitIndex): a cached RDD partition. */
public class RDDBlockId extends BlockId {

    private final int rddId;
    private final int splitIndex;

    public RDDBlockId(int rddId, int splitIndex) {
        this.rddId = rddId;
        this.splitIndex = splitIndex;
    }

    public int rddId() {
        return rddId;
    }

    public int splitIndex() {
        return splitIndex;
    }

    public String name() {
        return new StringBuilder("rdd_").append(rddId).append('_').append(splitIndex).toString();
    }

    public boolean equals(Object other) {
        if (!(other instanceof RDDBlockId)) {
            return false;
        }
        RDDBlockId o = (RDDBlockId) other;
        return rddId == o.rddId && splitIndex == o.splitIndex;
    }

    public int hashCode() {
        return 31 * rddId + splitIndex;
    }
}
