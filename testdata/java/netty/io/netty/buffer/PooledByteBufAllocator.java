package io.netty.buffer;

import java.nio.ByteBuffer;

/**
 * Netty 4.1's io.netty.buffer.PooledByteBufAllocator, cut down to the fields
 * a heap analyser follows: the static DEFAULT instance and its arenas.
 */
public class PooledByteBufAllocator {

    /** Netty: io.netty.allocator.numDirectArenas (2 * cores by default). */
    private static final int DEFAULT_NUM_DIRECT_ARENA = 2;
    /** Netty: pageSize << maxOrder = 8192 << 11 = 16 MiB. */
    private static final int DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;

    public static final PooledByteBufAllocator DEFAULT =
            new PooledByteBufAllocator(DEFAULT_NUM_DIRECT_ARENA, DEFAULT_CHUNK_SIZE);

    /** Null, as in netty when io.netty.allocator.numHeapArenas is 0. */
    private final PoolArena<byte[]>[] heapArenas;
    private final PoolArena<ByteBuffer>[] directArenas;
    private final int chunkSize;

    @SuppressWarnings("unchecked")
    public PooledByteBufAllocator(int nDirectArena, int chunkSize) {
        this.chunkSize = chunkSize;
        this.heapArenas = null;
        PoolArena<ByteBuffer>[] arenas = new PoolArena[nDirectArena];
        for (int i = 0; i < arenas.length; i++) {
            arenas[i] = new PoolArena.DirectArena(this, chunkSize);
        }
        this.directArenas = arenas;
    }

    PoolArena<ByteBuffer>[] directArenas() {
        return directArenas;
    }

    public int chunkSize() {
        return chunkSize;
    }
}
