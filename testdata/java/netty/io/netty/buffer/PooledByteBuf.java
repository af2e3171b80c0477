package io.netty.buffer;

import java.nio.ByteBuffer;

/**
 * Netty 4.1's io.netty.buffer.PooledByteBuf: a slice [offset, offset+length)
 * of its chunk's memory. memory is the chunk's memory object itself;
 * tmpNioBuf, once created, is a duplicate of it.
 */
abstract class PooledByteBuf<T> {

    protected PoolChunk<T> chunk;
    protected long handle;
    protected T memory;
    protected int offset;
    protected int length;
    int maxLength;
    ByteBuffer tmpNioBuf;

    private final int maxCapacity;
    private int readerIndex;
    private int writerIndex;
    private volatile int refCnt;

    protected PooledByteBuf(int maxCapacity) {
        this.maxCapacity = maxCapacity;
    }

    void init(PoolChunk<T> chunk, long handle, int offset, int length, int maxLength) {
        this.chunk = chunk;
        this.memory = chunk.memory;
        this.handle = handle;
        this.offset = offset;
        this.length = length;
        this.maxLength = maxLength;
        this.tmpNioBuf = null;
        this.readerIndex = 0;
        this.writerIndex = 0;
        this.refCnt = 1;
    }

    protected abstract ByteBuffer newInternalNioBuffer(T memory);

    protected final ByteBuffer internalNioBuffer() {
        ByteBuffer tmpNioBuf = this.tmpNioBuf;
        if (tmpNioBuf == null) {
            this.tmpNioBuf = tmpNioBuf = newInternalNioBuffer(memory);
        } else {
            tmpNioBuf.clear();
        }
        return tmpNioBuf;
    }

    /** Netty's internalNioBuffer(index, length): a view of this buffer's bytes. */
    public ByteBuffer internalNioBuffer(int index, int length) {
        int idx = offset + index;
        ByteBuffer buffer = internalNioBuffer();
        buffer.limit(idx + length).position(idx);
        return buffer;
    }

    public int capacity() {
        return length;
    }

    public int refCnt() {
        return refCnt;
    }

    PoolChunk<T> chunk() {
        return chunk;
    }
}
