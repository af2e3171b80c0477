// VisualVMPeer is leakscan's peer benchmark harness: it answers the same
// questions as `leakscan histogram` and `leakscan retained` using the
// VisualVM heap library (org.graalvm.visualvm.lib.jfluid.heap, shipped in
// Debian's visualvm package), so both the answers and the cost can be
// compared. Run it through scripts/peer.sh, which compiles it and sets the
// class path.
//
//	java VisualVMPeer histogram DUMP [N]   top N classes by shallow bytes, then TOTAL
//	java VisualVMPeer retained  DUMP [N]   N objects with the biggest retained size
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
            System.err.println("usage: VisualVMPeer histogram|retained DUMP [N]");
            System.exit(2);
        }
        String mode = args[0];
        int n = args.length == 3 ? Integer.parseInt(args[2]) : 10;
        if (!mode.equals("histogram") && !mode.equals("retained")) {
            System.err.println("VisualVMPeer: unknown mode " + mode);
            System.exit(2);
        }

        // createHeap only opens the file; the index is built on first use.
        Heap heap = HeapFactory.createHeap(new File(args[1]));
        if (mode.equals("histogram")) {
            histogram(heap, n);
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

    static long ms(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }
}
