package org.apache.spark.memory;

/** Spark 2.2's org.apache.spark.memory.MemoryPool: {@code _poolSize} bytes guarded by {@code lock}. */
public abstract class MemoryPool {

    private final Object lock;
    private long _poolSize = 0L;

    protected MemoryPool(Object lock) {
        this.lock = lock;
    }

    public final long poolSize() {
        synchronized (lock) {
            return _poolSize;
        }
    }

    public final long memoryFree() {
        synchronized (lock) {
            return _poolSize - memoryUsed();
        }
    }

    public final void incrementPoolSize(long delta) {
        synchronized (lock) {
            _poolSize += delta;
        }
    }

    public final void decrementPoolSize(long delta) {
        synchronized (lock) {
            _poolSize -= delta;
        }
    }

    public abstract long memoryUsed();
}
