package org.apache.spark.memory;

import java.util.HashMap;

/**
 * Spark 2.2's org.apache.spark.memory.ExecutionMemoryPool: memoryForTask
 * maps a task attempt id to the bytes of execution memory it holds.
 * Simplified: one task, no waiting for a fair share.
 */
public class ExecutionMemoryPool extends MemoryPool {

    private final String poolName;
    private final HashMap<Long, Long> memoryForTask = new HashMap<Long, Long>();

    ExecutionMemoryPool(Object lock, MemoryMode memoryMode) {
        super(lock);
        this.poolName = memoryMode == MemoryMode.ON_HEAP ? "on-heap execution" : "off-heap execution";
    }

    public long memoryUsed() {
        long sum = 0;
        for (Long v : memoryForTask.values()) {
            sum += v.longValue();
        }
        return sum;
    }

    public long getMemoryUsageForTask(long taskAttemptId) {
        Long v = memoryForTask.get(Long.valueOf(taskAttemptId));
        return v == null ? 0L : v.longValue();
    }

    long acquireMemory(long numBytes, long taskAttemptId) {
        Long key = Long.valueOf(taskAttemptId);
        if (!memoryForTask.containsKey(key)) {
            memoryForTask.put(key, Long.valueOf(0L));
        }
        long curMem = memoryForTask.get(key).longValue();
        long toGrant = Math.max(0L, Math.min(numBytes, memoryFree()));
        memoryForTask.put(key, Long.valueOf(curMem + toGrant));
        return toGrant;
    }

    void releaseMemory(long numBytes, long taskAttemptId) {
        Long key = Long.valueOf(taskAttemptId);
        long curMem = getMemoryUsageForTask(taskAttemptId);
        long memoryToFree = Math.min(numBytes, curMem);
        if (memoryForTask.containsKey(key)) {
            long left = curMem - memoryToFree;
            if (left <= 0) {
                memoryForTask.remove(key);
            } else {
                memoryForTask.put(key, Long.valueOf(left));
            }
        }
    }
}
