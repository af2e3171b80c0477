package org.apache.spark.unsafe.memory;

/**
 * A page of Tungsten memory. Never instantiated by the fixture: it exists so
 * that TaskMemoryManager.pageTable has Spark's element type,
 * org.apache.spark.unsafe.memory.MemoryBlock[].
 */
public class MemoryBlock {
    public static final int NO_PAGE_NUMBER = -1;

    Object obj;
    long offset;
    long length;
    public int pageNumber = NO_PAGE_NUMBER;
}
