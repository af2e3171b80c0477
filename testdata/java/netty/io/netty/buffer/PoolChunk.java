package io.netty.buffer;

/**
 * Netty 4.1's io.netty.buffer.PoolChunk: one chunkSize block of memory (for a
 * DirectArena, a DirectByteBuffer from ByteBuffer.allocateDirect) that the
 * arena carves into buffers. Allocation is a simple bump pointer here.
 */
final class PoolChunk<T> {

    final PoolArena<T> arena;
    final Object base;
    final T memory;
    final boolean unpooled;

    int freeBytes;
    private final int chunkSize;

    PoolChunkList<T> parent;
    PoolChunk<T> prev;
    PoolChunk<T> next;

    PoolChunk(PoolArena<T> arena, Object base, T memory, int chunkSize) {
        this.arena = arena;
        this.base = base;
        this.memory = memory;
        this.unpooled = false;
        this.chunkSize = chunkSize;
        this.freeBytes = chunkSize;
    }

    /** Percentage of the chunk in use, as netty computes it. */
    int usage() {
        if (freeBytes == 0) {
            return 100;
        }
        int freePercentage = (int) (freeBytes * 100L / chunkSize);
        if (freePercentage == 0) {
            return 99;
        }
        return 100 - freePercentage;
    }

    /** Returns the handle (here: the offset) of a run of normCapacity bytes, or -1. */
    long allocate(int normCapacity) {
        if (normCapacity > freeBytes) {
            return -1;
        }
        long handle = chunkSize - freeBytes;
        freeBytes -= normCapacity;
        return handle;
    }

    void initBuf(PooledByteBuf<T> buf, long handle, int reqCapacity) {
        buf.init(this, handle, (int) handle, reqCapacity, reqCapacity);
    }

    int chunkSize() {
        return chunkSize;
    }
}
