package io.netty.buffer;

/** Netty 4.1's io.netty.buffer.PoolChunkList: chunks within a usage range. */
final class PoolChunkList<T> {

    private final PoolArena<T> arena;
    private final PoolChunkList<T> nextList;
    private final int minUsage;
    private final int maxUsage;
    private PoolChunk<T> head;
    private PoolChunkList<T> prevList;

    PoolChunkList(PoolArena<T> arena, PoolChunkList<T> nextList, int minUsage, int maxUsage) {
        this.arena = arena;
        this.nextList = nextList;
        this.minUsage = minUsage;
        this.maxUsage = maxUsage;
    }

    void prevList(PoolChunkList<T> prevList) {
        this.prevList = prevList;
    }

    void add(PoolChunk<T> chunk) {
        if (chunk.usage() >= maxUsage && nextList != null) {
            nextList.add(chunk);
            return;
        }
        add0(chunk);
    }

    void add0(PoolChunk<T> chunk) {
        chunk.parent = this;
        if (head == null) {
            head = chunk;
            chunk.prev = null;
            chunk.next = null;
        } else {
            chunk.prev = null;
            chunk.next = head;
            head.prev = chunk;
            head = chunk;
        }
    }

    PoolChunk<T> head() {
        return head;
    }

    int minUsage() {
        return minUsage;
    }

    int maxUsage() {
        return maxUsage;
    }
}
