// VisualVMPeer is leakscan's peer benchmark harness: it answers the same
// questions as `leakscan histogram` and `leakscan retained` using the
// VisualVM heap library (org.graalvm.visualvm.lib.jfluid.heap, shipped in
// Debian's visualvm package), so both the answers and the cost can be
// compared. Run it through scripts/peer.sh, which compiles it and sets the
// class path.
//
//	java VisualVMPeer histogram DUMP [N]   top N classes by shallow bytes, then TOTAL
//	java VisualVMPeer retained  DUMP [N]   N objects with the biggest retained size
//	java VisualVMPeer all       DUMP       every object, class objects included:
//	                                       id, class, shallow size, retained size
//
// Output is tab-separated on stdout; timings go to stderr.

import java.io.File;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.graalvm.visualvm.lib.jfluid.heap.Heap;
import org.graalvm.visualvm.lib.jfluid.heap.HeapFactory;
import org.graalvm.visualvm.lib.jfluid.heap.Instance;
import org.graalvm.visualvm.lib.jfluid.heap.JavaClass;

public class VisualVMPeer {
    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: VisualVMPeer histogram|retained|all DUMP [N]");
            System.exit(2);
        }
        String mode = args[0];
        int n = args.length == 3 ? Integer.parseInt(args[2]) : 10;
        if (!mode.equals("histogram") && !mode.equals("retained") && !mode.equals("all")) {
            System.err.println("VisualVMPeer: unknown mode " + mode);
            System.exit(2);
        }

        // createHeap only opens the file; the index is built on first use.
        Heap heap = HeapFactory.createHeap(new File(args[1]));
        if (mode.equals("histogram")) {
            histogram(heap, n);
        } else if (mode.equals("all")) {
            all(heap);
        } else {
            retained(heap, n);
        }
        System.out.flush();
        System.err.println("elapsed_ms=" + ms(start));
    }

    static void histogram(Heap heap, int n) {
        List<JavaClass> classes = new ArrayList<>(heap.getAllClasses());
        long[] count = new long[classes.size()];
        long[] bytes = new long[classes.size()];
        long totalCount = 0, totalBytes = 0;
        for (int i = 0; i < classes.size(); i++) {
            count[i] = classes.get(i).getInstancesCount();
            bytes[i] = classes.get(i).getAllInstancesSize();
            totalCount += count[i];
            totalBytes += bytes[i];
        }
        // Biggest first; ties by name so the output is stable.
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < classes.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingLong(i -> -bytes[i])
                .thenComparing(i -> classes.get(i).getName()));
        for (int k = 0; k < Math.min(n, order.size()); k++) {
            int i = order.get(k);
            System.out.println(classes.get(i).getName() + "\t" + count[i] + "\t" + bytes[i]);
        }
        System.out.println("TOTAL\t" + totalCount + "\t" + totalBytes);
    }

    static void retained(Heap heap, int n) {
        for (Instance obj : heap.getBiggestObjectsByRetainedSize(n)) {
            System.out.println("0x" + Long.toHexString(obj.getInstanceId())
                    + "\t" + obj.getJavaClass().getName()
                    + "\t" + obj.getSize()
                    + "\t" + obj.getRetainedSize());
        }
    }

    // all prints every object the library lists: the instances and arrays
    // of getAllInstancesIterator, then the class objects (which that
    // iterator may leave out) through getInstanceByID of each class id,
    // each id once. Class objects are printed with the class name
    // "java.lang.Class" and, in a fifth column, the name of the class they
    // stand for. The first retained size asked for computes them all; its
    // time goes to stderr as retained_ms.
    static void all(Heap heap) {
        java.util.HashSet<Long> seen = new java.util.HashSet<>();
        java.io.PrintWriter out = new java.io.PrintWriter(new java.io.BufferedWriter(
                new java.io.OutputStreamWriter(System.out), 1 << 16));
        boolean first = true;
        for (java.util.Iterator<Instance> it = heap.getAllInstancesIterator(); it.hasNext();) {
            Instance obj = it.next();
            if (first) {
                long t = System.nanoTime();
                obj.getRetainedSize();
                System.err.println("retained_ms=" + ms(t));
                first = false;
            }
            seen.add(obj.getInstanceId());
            print(out, obj, "");
        }
        for (JavaClass cls : heap.getAllClasses()) {
            Instance obj = heap.getInstanceByID(cls.getJavaClassId());
            if (obj == null || !seen.add(obj.getInstanceId())) {
                continue;
            }
            print(out, obj, cls.getName());
        }
        out.flush();
    }

    static void print(java.io.PrintWriter out, Instance obj, String mirrorOf) {
        out.print("0x" + Long.toHexString(obj.getInstanceId()) + "\t" + obj.getJavaClass().getName()
                + "\t" + obj.getSize() + "\t" + obj.getRetainedSize());
        out.print(mirrorOf.isEmpty() ? "\n" : "\t" + mirrorOf + "\n");
    }

    static long ms(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }
}
