package io.netty.buffer;

import java.nio.ByteBuffer;

/** Netty 4.1's io.netty.buffer.PooledDirectByteBuf (no Recycler here). */
final class PooledDirectByteBuf extends PooledByteBuf<ByteBuffer> {

    static PooledDirectByteBuf newInstance(int maxCapacity) {
        return new PooledDirectByteBuf(maxCapacity);
    }

    private PooledDirectByteBuf(int maxCapacity) {
        super(maxCapacity);
    }

    @Override
    protected ByteBuffer newInternalNioBuffer(ByteBuffer memory) {
        return memory.duplicate();
    }
}
