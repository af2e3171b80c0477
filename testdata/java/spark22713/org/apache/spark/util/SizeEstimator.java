package org.apache.spark.util;

import org.apache.spark.util.collection.AppendOnlyMap;

/**
 * A non-reflective stand-in for Spark's org.apache.spark.util.SizeEstimator:
 * estimates the retained bytes of the objects the fixture builds (Strings
 * with Latin-1 contents, byte[] and Object[] arrays, AppendOnlyMaps), with
 * HotSpot's 64-bit layout and compressed oops (12-byte object headers,
 * 16-byte array headers, 4-byte references, 8-byte alignment).
 */
public final class SizeEstimator {

    private SizeEstimator() {
    }

    /** Shallow size of an AppendOnlyMap / SizeTrackingAppendOnlyMap plus its sample queue. */
    private static final long MAP_OVERHEAD = 88 + 96;

    public static long estimate(Object o) {
        if (o == null) {
            return 0;
        }
        if (o instanceof String) {
            return 24 + align(16 + ((String) o).length());
        }
        if (o instanceof byte[]) {
            return align(16 + ((byte[]) o).length);
        }
        if (o instanceof Object[]) {
            Object[] a = (Object[]) o;
            long size = align(16 + 4L * a.length);
            for (int i = 0; i < a.length; i++) {
                size += estimate(a[i]);
            }
            return size;
        }
        if (o instanceof AppendOnlyMap) {
            return MAP_OVERHEAD + ((AppendOnlyMap) o).estimateContents();
        }
        return 16;
    }

    private static long align(long n) {
        return (n + 7) & ~7L;
    }
}
