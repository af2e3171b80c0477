// Netty: the heap of a netty application whose PooledByteBufAllocator holds
// 128 MiB of direct memory, rebuilt with netty 4.1's real class and field
// names (simplified bodies) so that leakscan can be tested on off-heap
// memory that a plain heap histogram shows as a few hundred bytes.
//
// Regenerate the committed dumps (from the repository root) with:
//
//   go run ./internal/testjvm/capture -program Netty -main io.netty.buffer.NettyFixture -src testdata/java -out testdata/dumps -gz -flags "-Xmx64m -XX:MaxDirectMemorySize=256m -XX:+UseSerialGC -Xshare:off"
//
// What the heap holds when the program prints READY:
//
// - PooledByteBufAllocator.DEFAULT (a static field) -> directArenas, a
//   PoolArena[2] of two PoolArena$DirectArena (heapArenas is null).
// - Each arena has the six netty PoolChunkLists qInit, q000, q025, q050,
//   q075, q100 (a chain by nextList/prevList); each list's head is the first
//   of a doubly linked list of PoolChunks (PoolChunk.next / prev).
// - Each arena owns 4 PoolChunks, 8 in all; each chunk's memory (and base)
//   is the same DirectByteBuffer from ByteBuffer.allocateDirect(16 MiB):
//   8 x 16 MiB = 128 MiB of direct memory.
// - NettyFixture.buffers (a static ArrayList) holds 6 PooledDirectByteBufs
//   carved out of 5 of the chunks. Each one's memory (a field inherited from
//   PooledByteBuf, as in netty) is its chunk's DirectByteBuffer, the same
//   object, and its tmpNioBuf is memory.duplicate(): a DirectByteBuffer with
//   the same address whose att is the chunk's buffer (it owns no memory of
//   its own). Chunk usage and the list each chunk is in:
//     arena 0: chunk 0  4 MiB + 2 MiB (38%) -> q000
//              chunk 1  8 MiB         (50%) -> q025
//              chunk 2 12 MiB         (75%) -> q050
//              chunk 3  empty               -> qInit
//     arena 1: chunk 0 64 KiB          (1%) -> qInit
//              chunk 1 16 MiB        (100%) -> q100
//              chunk 2, chunk 3 empty       -> qInit
// - NettyFixture.standalone: one more ByteBuffer.allocateDirect(1 MiB), not
//   owned by any arena.
//
// The program checks this state itself and exits with an error instead of
// printing READY if it does not hold.
//
// Rules (as for every fixture): no lambdas, method references, streams or
// records, no string concatenation of non-constants (StringBuilder only) --
// the JVM must not spin any hidden classes.
package io.netty.buffer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** The fixture's main: allocates from PooledByteBufAllocator.DEFAULT. */
public final class NettyFixture {

    static final int KIB = 1024;
    static final int MIB = 1024 * 1024;
    static final int CHUNKS_PER_ARENA = 4;
    static final int STANDALONE_BYTES = 1 * MIB;

    /** The in-flight buffers (think: a channel's outbound buffer). */
    static final List<PooledByteBuf<ByteBuffer>> buffers = new ArrayList<PooledByteBuf<ByteBuffer>>();
    /** A direct buffer not owned by any arena. */
    static ByteBuffer standalone;

    private NettyFixture() {
    }

    public static void main(String[] args) throws InterruptedException {
        PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        PoolArena<ByteBuffer>[] arenas = alloc.directArenas();
        if (arenas.length != 2) {
            fail("expected 2 direct arenas");
        }

        // {arena, chunk, bytes} of each buffer.
        int[][] plan = {
            {0, 0, 4 * MIB},
            {0, 0, 2 * MIB},
            {0, 1, 8 * MIB},
            {0, 2, 12 * MIB},
            {1, 0, 64 * KIB},
            {1, 1, 16 * MIB},
        };

        for (int a = 0; a < arenas.length; a++) {
            PoolArena<ByteBuffer> arena = arenas[a];
            List<PoolChunk<ByteBuffer>> chunks = new ArrayList<PoolChunk<ByteBuffer>>();
            for (int c = 0; c < CHUNKS_PER_ARENA; c++) {
                chunks.add(arena.allocateChunk());
            }
            for (int i = 0; i < plan.length; i++) {
                if (plan[i][0] != a) {
                    continue;
                }
                PooledByteBuf<ByteBuffer> buf = arena.allocateNormal(chunks.get(plan[i][1]), plan[i][2]);
                // Netty's write path: a view of the buffer's bytes, cached in tmpNioBuf.
                ByteBuffer nio = buf.internalNioBuffer(0, buf.capacity());
                nio.put((byte) 1);
                buffers.add(buf);
            }
            for (int c = 0; c < CHUNKS_PER_ARENA; c++) {
                arena.addChunk(chunks.get(c));
            }
        }

        standalone = ByteBuffer.allocateDirect(STANDALONE_BYTES);
        standalone.put(0, (byte) 1);

        check(arenas);

        System.out.println("READY");
        System.out.flush();
        while (true) {
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    private static void check(PoolArena<ByteBuffer>[] arenas) {
        int chunks = 0;
        for (int a = 0; a < arenas.length; a++) {
            PoolArena<ByteBuffer> arena = arenas[a];
            int inArena = 0;
            PoolChunkList<ByteBuffer>[] lists = arena.chunkLists();
            for (int l = 0; l < lists.length; l++) {
                for (PoolChunk<ByteBuffer> c = lists[l].head(); c != null; c = c.next) {
                    if (c.arena != arena || c.parent != lists[l]) {
                        fail("chunk in the wrong arena or list");
                    }
                    if (c.memory == null || !c.memory.isDirect() || c.memory.capacity() != c.chunkSize()
                            || c.base != c.memory) {
                        fail("chunk memory is not a 16 MiB direct buffer");
                    }
                    int usage = c.usage();
                    if (usage >= lists[l].maxUsage() && l != lists.length - 1) {
                        fail("chunk usage above its list's maxUsage");
                    }
                    inArena++;
                }
            }
            if (inArena != CHUNKS_PER_ARENA || arena.numChunks() != CHUNKS_PER_ARENA) {
                fail("an arena does not hold 4 chunks");
            }
            chunks += inArena;
        }
        if (chunks != 8) {
            fail("expected 8 chunks");
        }
        if (buffers.size() != 6) {
            fail("expected 6 buffers");
        }
        for (int i = 0; i < buffers.size(); i++) {
            PooledByteBuf<ByteBuffer> buf = buffers.get(i);
            if (buf.memory != buf.chunk.memory || buf.tmpNioBuf == null || buf.tmpNioBuf == buf.memory
                    || !buf.tmpNioBuf.isDirect() || buf.refCnt() != 1) {
                fail("buffer does not share its chunk's memory");
            }
        }
        if (standalone == null || !standalone.isDirect() || standalone.capacity() != STANDALONE_BYTES) {
            fail("standalone buffer missing");
        }
    }

    private static void fail(String msg) {
        System.err.println(msg);
        System.exit(1);
    }
}
