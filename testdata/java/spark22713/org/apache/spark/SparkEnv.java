package org.apache.spark;

import org.apache.spark.memory.MemoryManager;
import org.apache.spark.storage.BlockManager;

/**
 * Spark 2.2's org.apache.spark.SparkEnv, reduced to what the fixture uses.
 * (In Scala the static {@code env} lives in the companion object, i.e.
 * SparkEnv$.MODULE$.env; here it is a plain static field.)
 */
public class SparkEnv {

    private static volatile SparkEnv env;

    public final String executorId;
    public final BlockManager blockManager;
    public final MemoryManager memoryManager;

    public SparkEnv(String executorId, BlockManager blockManager, MemoryManager memoryManager) {
        this.executorId = executorId;
        this.blockManager = blockManager;
        this.memoryManager = memoryManager;
    }

    public static void set(SparkEnv e) {
        env = e;
    }

    public static SparkEnv get() {
        return env;
    }
}
