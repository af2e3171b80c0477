// PageRank builds a large PageRank-like link graph and keeps it reachable:
// the heap behind leakscan's benchmark dump (~1.5 GB, ~30 million objects).
//
// Generate the benchmark dump (from the repository root; never commit it):
//
//   go run ./internal/testjvm/capture -program PageRank -out ~/.cache/leakscan-bench -flags "-Xmx6g -Xshare:off" -- 3750000
//
// With N=3750000 on OpenJDK 17.0.15 this gives 30,008,944 objects (1.107 GB
// shallow, per GC.class_histogram) and a 1,547,663,266-byte PageRank.hprof,
// in about 13 s end to end (compile, build, 2 histograms, dump).
//
// Argument: N, the number of pages (default 1000). Optional second argument:
// the random seed (default 1). The graph is deterministic for a given N and
// seed.
//
// Shape of the heap (about 8 objects per page):
//   GRAPH: HashMap<String, List<String>> with N entries
//     key   "http://example.com/page/<i>"         (String + byte[])
//     value ArrayList<String> of 1..11 out-links   (ArrayList + Object[])
//           ~3/4 of the links are the key Strings of other pages (shared,
//           skewed towards low page numbers: a few very popular pages),
//           ~1/4 are fresh "http://external.org/ref/<k>" Strings.
//   RANKS: double[N], 1/N each.
//
// Same rules as every fixture: no package, no lambdas, no method references,
// no streams, no string concatenation of non-constants -- no hidden classes.

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

public class PageRank {
    static HashMap<String, List<String>> GRAPH;
    static double[] RANKS;

    // xorshift64*: deterministic and allocation-free.
    static long state;

    static long next() {
        state ^= state >>> 12;
        state ^= state << 25;
        state ^= state >>> 27;
        return state * 0x2545F4914F6CDD1DL;
    }

    static int nextInt(int bound) {
        return (int) ((next() >>> 33) % bound);
    }

    static double nextDouble() {
        return (next() >>> 11) * 0x1.0p-53;
    }

    static void build(int n) {
        String[] urls = new String[n];
        for (int i = 0; i < n; i++) {
            urls[i] = new StringBuilder(32).append("http://example.com/page/").append(i).toString();
        }
        HashMap<String, List<String>> graph = new HashMap<String, List<String>>((int) (n / 0.75f) + 1);
        int external = 0;
        for (int i = 0; i < n; i++) {
            int degree = 1 + nextInt(11);
            ArrayList<String> links = new ArrayList<String>(degree);
            for (int j = 0; j < degree; j++) {
                if (nextInt(4) == 0) {
                    links.add(new StringBuilder(32).append("http://external.org/ref/").append(external++).toString());
                } else {
                    double u = nextDouble();
                    links.add(urls[(int) (u * u * u * n)]);
                }
            }
            graph.put(urls[i], links);
        }
        GRAPH = graph;
        double[] ranks = new double[n];
        for (int i = 0; i < n; i++) {
            ranks[i] = 1.0 / n;
        }
        RANKS = ranks;
        // urls[] becomes garbage here; only the graph and ranks stay reachable.
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 1L;
        state = seed * 0x9E3779B97F4A7C15L + 1; // never 0
        long start = System.nanoTime();
        build(n);
        long ms = (System.nanoTime() - start) / 1000000L;
        System.gc();
        StringBuilder sb = new StringBuilder();
        sb.append("built ").append(n).append(" pages in ").append(ms).append(" ms");
        System.out.println(sb.toString());
        System.out.println("READY");
        System.out.flush();
        while (GRAPH != null) {
            Thread.sleep(3600L * 1000L);
        }
    }
}
