package io.netty.buffer;

import java.nio.ByteBuffer;

/**
 * Netty 4.1's io.netty.buffer.PoolArena: the chunks of an arena live in six
 * PoolChunkLists by usage (qInit -> q000 -> q025 -> q050 -> q075 -> q100),
 * each a doubly linked list of PoolChunks starting at its head.
 */
abstract class PoolArena<T> {

    final PooledByteBufAllocator parent;
    final int chunkSize;

    private final PoolChunkList<T> q050;
    private final PoolChunkList<T> q025;
    private final PoolChunkList<T> q000;
    private final PoolChunkList<T> qInit;
    private final PoolChunkList<T> q075;
    private final PoolChunkList<T> q100;

    private long allocationsNormal;
    private long deallocationsNormal;
    private int numChunks;

    protected PoolArena(PooledByteBufAllocator parent, int chunkSize) {
        this.parent = parent;
        this.chunkSize = chunkSize;
        q100 = new PoolChunkList<T>(this, null, 100, Integer.MAX_VALUE);
        q075 = new PoolChunkList<T>(this, q100, 75, 100);
        q050 = new PoolChunkList<T>(this, q075, 50, 100);
        q025 = new PoolChunkList<T>(this, q050, 25, 75);
        q000 = new PoolChunkList<T>(this, q025, 1, 50);
        qInit = new PoolChunkList<T>(this, q000, Integer.MIN_VALUE, 25);

        q100.prevList(q075);
        q075.prevList(q050);
        q050.prevList(q025);
        q025.prevList(q000);
        q000.prevList(null);
        qInit.prevList(qInit);
    }

    protected abstract PoolChunk<T> newChunk(int chunkSize);

    protected abstract PooledByteBuf<T> newByteBuf(int maxCapacity);

    /** Creates a chunk; it is filed into a chunk list by addChunk. */
    PoolChunk<T> allocateChunk() {
        numChunks++;
        return newChunk(chunkSize);
    }

    /** Files a chunk into the list matching its usage, as netty's qInit.add does. */
    void addChunk(PoolChunk<T> chunk) {
        qInit.add(chunk);
    }

    /** A normal-size allocation of reqCapacity bytes carved out of chunk. */
    PooledByteBuf<T> allocateNormal(PoolChunk<T> chunk, int reqCapacity) {
        PooledByteBuf<T> buf = newByteBuf(Integer.MAX_VALUE);
        long handle = chunk.allocate(reqCapacity);
        if (handle < 0) {
            throw new IllegalStateException("chunk full");
        }
        chunk.initBuf(buf, handle, reqCapacity);
        allocationsNormal++;
        return buf;
    }

    int numChunks() {
        return numChunks;
    }

    long numAllocations() {
        return allocationsNormal - deallocationsNormal;
    }

    /** The chunk lists in netty's order of preference for allocations. */
    PoolChunkList<T>[] chunkLists() {
        @SuppressWarnings("unchecked")
        PoolChunkList<T>[] lists = new PoolChunkList[] {qInit, q000, q025, q050, q075, q100};
        return lists;
    }

    static final class DirectArena extends PoolArena<ByteBuffer> {

        DirectArena(PooledByteBufAllocator parent, int chunkSize) {
            super(parent, chunkSize);
        }

        @Override
        protected PoolChunk<ByteBuffer> newChunk(int chunkSize) {
            ByteBuffer memory = ByteBuffer.allocateDirect(chunkSize);
            return new PoolChunk<ByteBuffer>(this, memory, memory, chunkSize);
        }

        @Override
        protected PooledByteBuf<ByteBuffer> newByteBuf(int maxCapacity) {
            return PooledDirectByteBuf.newInstance(maxCapacity);
        }
    }
}
