package org.apache.spark.util.collection;

import java.util.Iterator;
import java.util.NoSuchElementException;

import org.apache.spark.util.SizeEstimator;
import scala.Tuple2;

/**
 * Spark 2.2's org.apache.spark.util.collection.AppendOnlyMap: an open hash
 * map (quadratic probing) whose keys and values are interleaved in one
 * array, data[2*i] = key, data[2*i+1] = value.
 *
 * Field names are the source names. (scalac expands the names of the
 * private fields the iterator reads, e.g. the real bytecode field of
 * {@code data} is {@code org$apache$spark$util$collection$AppendOnlyMap$$data}.)
 */
public class AppendOnlyMap {

    public static final int MAXIMUM_CAPACITY = 1 << 29;

    private final double LOAD_FACTOR = 0.7;
    int capacity;
    private int mask;
    int curSize = 0;
    private int growThreshold;
    Object[] data;
    boolean haveNullValue = false;
    Object nullValue = null;
    private boolean destroyed = false;
    private final String destructionMessage = "Map state is invalid from destructive sorting!";

    public AppendOnlyMap() {
        this(64);
    }

    public AppendOnlyMap(int initialCapacity) {
        if (initialCapacity > MAXIMUM_CAPACITY) {
            throw new IllegalArgumentException("Can't make capacity bigger than 2^29 elements");
        }
        capacity = nextPowerOf2(initialCapacity);
        mask = capacity - 1;
        growThreshold = (int) (LOAD_FACTOR * capacity);
        data = new Object[2 * capacity];
    }

    /** Get the value for a given key. */
    public Object apply(Object key) {
        if (key == null) {
            return nullValue;
        }
        int pos = rehash(key.hashCode()) & mask;
        int i = 1;
        while (true) {
            Object curKey = data[2 * pos];
            if (key == curKey || key.equals(curKey)) {
                return data[2 * pos + 1];
            } else if (curKey == null) {
                return null;
            } else {
                int delta = i;
                pos = (pos + delta) & mask;
                i += 1;
            }
        }
    }

    /** Set the value for a key. */
    public void update(Object key, Object value) {
        if (destroyed) {
            throw new IllegalStateException(destructionMessage);
        }
        if (key == null) {
            if (!haveNullValue) {
                incrementSize();
            }
            nullValue = value;
            haveNullValue = true;
            return;
        }
        int pos = rehash(key.hashCode()) & mask;
        int i = 1;
        while (true) {
            Object curKey = data[2 * pos];
            if (curKey == null) {
                data[2 * pos] = key;
                data[2 * pos + 1] = value;
                incrementSize();
                return;
            } else if (key == curKey || key.equals(curKey)) {
                data[2 * pos + 1] = value;
                return;
            } else {
                int delta = i;
                pos = (pos + delta) & mask;
                i += 1;
            }
        }
    }

    /** Iterator over the (key, value) pairs; an AppendOnlyMap$$anon$1 as in Spark. */
    public Iterator<Tuple2> iterator() {
        if (destroyed) {
            throw new IllegalStateException(destructionMessage);
        }
        return new $anon$1(this);
    }

    public int size() {
        return curSize;
    }

    private void incrementSize() {
        curSize += 1;
        if (curSize > growThreshold) {
            growTable();
        }
    }

    /**
     * Re-hash a value to deal better with hash functions that don't differ
     * in the lower bits: Guava's Hashing.murmur3_32().hashInt(h).asInt(), as
     * in Spark.
     */
    private static int rehash(int h) {
        int k1 = h * 0xcc9e2d51;
        k1 = Integer.rotateLeft(k1, 15);
        k1 *= 0x1b873593;
        int h1 = Integer.rotateLeft(k1, 13);
        h1 = h1 * 5 + 0xe6546b64;
        h1 ^= 4;
        h1 ^= h1 >>> 16;
        h1 *= 0x85ebca6b;
        h1 ^= h1 >>> 13;
        h1 *= 0xc2b2ae35;
        h1 ^= h1 >>> 16;
        return h1;
    }

    /** Double the table's size and re-hash everything. */
    protected void growTable() {
        int newCapacity = capacity * 2;
        if (newCapacity > MAXIMUM_CAPACITY) {
            throw new IllegalStateException("Can't contain more than 2^29 elements");
        }
        Object[] newData = new Object[2 * newCapacity];
        int newMask = newCapacity - 1;
        int oldPos = 0;
        while (oldPos < capacity) {
            if (data[2 * oldPos] != null) {
                Object key = data[2 * oldPos];
                Object value = data[2 * oldPos + 1];
                int newPos = rehash(key.hashCode()) & newMask;
                int i = 1;
                boolean keepGoing = true;
                while (keepGoing) {
                    Object curKey = newData[2 * newPos];
                    if (curKey == null) {
                        newData[2 * newPos] = key;
                        newData[2 * newPos + 1] = value;
                        keepGoing = false;
                    } else {
                        int delta = i;
                        newPos = (newPos + delta) & newMask;
                        i += 1;
                    }
                }
            }
            oldPos += 1;
        }
        data = newData;
        capacity = newCapacity;
        mask = newMask;
        growThreshold = (int) (LOAD_FACTOR * newCapacity);
    }

    private static int nextPowerOf2(int n) {
        int highBit = Integer.highestOneBit(n);
        return highBit == n ? n : highBit << 1;
    }

    /** Estimated bytes of the data array and the keys and values in it (for SizeEstimator). */
    public long estimateContents() {
        long size = ((16L + 4L * data.length) + 7) & ~7L;
        for (int i = 0; i < data.length; i++) {
            if (data[i] != null) {
                size += SizeEstimator.estimate(data[i]);
            }
        }
        if (haveNullValue) {
            size += SizeEstimator.estimate(nullValue);
        }
        return size;
    }

    /**
     * The iterator of AppendOnlyMap.iterator. Binary name
     * org.apache.spark.util.collection.AppendOnlyMap$$anon$1, with the
     * fields scalac gives the anonymous class: {@code pos} and
     * {@code $outer} (the map).
     */
    static final class $anon$1 implements Iterator<Tuple2> {

        private int pos = -1;
        private final AppendOnlyMap $outer;

        $anon$1(AppendOnlyMap $outer) {
            this.$outer = $outer;
        }

        /** The next pair to return from next(), or null when finished. */
        Tuple2 nextValue() {
            if (pos == -1) {
                if ($outer.haveNullValue) {
                    return new Tuple2(null, $outer.nullValue);
                }
                pos += 1;
            }
            while (pos < $outer.capacity) {
                if ($outer.data[2 * pos] != null) {
                    return new Tuple2($outer.data[2 * pos], $outer.data[2 * pos + 1]);
                }
                pos += 1;
            }
            return null;
        }

        public boolean hasNext() {
            return nextValue() != null;
        }

        AppendOnlyMap outer() {
            return $outer;
        }

        public Tuple2 next() {
            Tuple2 value = nextValue();
            if (value == null) {
                throw new NoSuchElementException("End of iterator");
            }
            pos += 1;
            return value;
        }
    }
}
