// FinalizerBacklog: a JVM whose finalizer thread is stuck in one finalize(),
// so that the objects found unreachable after it wait in the finalizer's
// queue with everything they hold: leakscan finalizers' live-JVM test.
//
// The program writes to args[0] what it knows of its own finalizable
// objects, read by reflection (--add-opens java.base/java.lang.ref), one
// line each: "queued CLASS N", "running CLASS N", "active CLASS N".
// It prints READY once every Payload it dropped is in the queue.
//
// Rules as for every fixture here (see Basic.java): no lambdas, no string
// concatenation of non-constants.

import java.io.PrintWriter;
import java.lang.ref.Reference;
import java.lang.reflect.Field;
import java.util.concurrent.CountDownLatch;

// Blocker's finalize() never returns: the finalizer thread runs it first
// and then stays there, an Alive in a local (which is not being finalized).
class Blocker {
    static final CountDownLatch RUNNING = new CountDownLatch(1);
    static final Object LOCK = new Object();
    static volatile boolean done;
    final byte[] data = new byte[4096];

    protected void finalize() throws Throwable {
        Alive held = FinalizerBacklog.ALIVE[0];
        RUNNING.countDown();
        synchronized (LOCK) {
            while (!done) {
                LOCK.wait();
            }
        }
        held.touch();
    }
}

// Payload: dropped after the finalizer thread is stuck, so each waits in
// the queue holding its 100 KB.
class Payload {
    static int finalized;
    final byte[] data = new byte[100000];

    // (Not empty: HotSpot registers no object of a class whose finalize()
    // does nothing.)
    protected void finalize() {
        finalized++;
    }
}

// Alive: finalizable objects still in use, registered with the finalizer
// but not due.
class Alive {
    static int finalized;
    final byte[] data = new byte[1000];

    void touch() {
        data[0]++;
    }

    protected void finalize() {
        finalized++;
    }
}

public class FinalizerBacklog {
    static final int PAYLOADS = 300;
    static final Alive[] ALIVE = new Alive[7];

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < ALIVE.length; i++) {
            ALIVE[i] = new Alive();
        }
        new Blocker();
        while (!Blocker.RUNNING.await(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            System.gc();
        }
        for (int i = 0; i < PAYLOADS; i++) {
            new Payload();
        }
        Class<?> finalizer = Class.forName("java.lang.ref.Finalizer");
        Field queueField = finalizer.getDeclaredField("queue");
        queueField.setAccessible(true);
        Object queue = queueField.get(null);
        Field head = queue.getClass().getDeclaredField("head");
        head.setAccessible(true);
        Field next = Reference.class.getDeclaredField("next");
        next.setAccessible(true);
        Field referent = Reference.class.getDeclaredField("referent");
        referent.setAccessible(true);
        int queued = 0;
        for (int tries = 0; queued < PAYLOADS && tries < 600; tries++) {
            System.gc();
            Thread.sleep(50);
            queued = 0;
            synchronized (queue) {
                for (Object r = head.get(queue); r != null; ) {
                    if (referent.get(r) instanceof Payload) {
                        queued++;
                    }
                    Object n = next.get(r);
                    r = n == r ? null : n;
                }
            }
        }
        // The active ones: on the list of the unfinalized (through the
        // Finalizer's own next), not taken off it to run.
        Field unfinalized = finalizer.getDeclaredField("unfinalized");
        unfinalized.setAccessible(true);
        Field own = finalizer.getDeclaredField("next");
        own.setAccessible(true);
        int active = 0;
        synchronized (finalizer) {
            for (Object f = unfinalized.get(null); f != null; ) {
                if (referent.get(f) instanceof Alive && next.get(f) == null) {
                    active++;
                }
                Object n = own.get(f);
                f = n == f ? null : n;
            }
        }
        PrintWriter out = new PrintWriter(args[0], "UTF-8");
        out.print("queued Payload ");
        out.println(queued);
        out.println("running Blocker 1"); // the one finalize() that never returns
        out.print("active Alive ");
        out.println(active);
        out.close();
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
