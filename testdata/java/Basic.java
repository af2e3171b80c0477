// Basic is the small "zoo" heap used by leakscan's reader/layout tests.
//
// Regenerate the committed dumps (from the repository root) with:
//
//   go run ./internal/testjvm/capture -program Basic -out testdata/dumps -gz -flags "-Xmx64m -XX:+UseSerialGC -Xshare:off"
//
// -Xshare:off keeps the dump small (~2 MB instead of ~3 MB): with CDS on, the
// heap dump also carries UTF8 records for the whole shared symbol table.
//
// Rules for every fixture in this folder: no package, no lambdas, no method
// references, no streams, no string concatenation of non-constants (use
// StringBuilder), no enums with bodies -- the JVM must not spin any hidden
// classes, so that the class histogram is stable and fully explainable.
//
// Every class below that gets instantiated has a DISTINCT instance count
// (see COUNT_* constants) so that its row in the class histogram is easy to
// recognise. Field values are fixed and listed next to each class so that
// tests can check decoded values.

import java.io.FileInputStream;
import java.io.File;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.SoftReference;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

// ---------------------------------------------------------------------------
// One field of each type, alone. Values: b=-7, z=true, c='Z', s=-300,
// i=123456789, f=1.5f, j=0x1122334455667788L, d=-2.25, o=a Leaf.
// ---------------------------------------------------------------------------
class OnlyByte { byte b = -7; }
class OnlyBoolean { boolean z = true; }
class OnlyChar { char c = 'Z'; }
class OnlyShort { short s = -300; }
class OnlyInt { int i = 123456789; }
class OnlyFloat { float f = 1.5f; }
class OnlyLong { long j = 0x1122334455667788L; }
class OnlyDouble { double d = -2.25; }
class OnlyRef { Object o = new Leaf(1); }

// A referenced object with one int field (id).
class Leaf {
    int id;
    Leaf(int id) { this.id = id; }
}

// ---------------------------------------------------------------------------
// Mixtures, declared in deliberately "bad" order so the JVM has to reorder.
// ---------------------------------------------------------------------------
class MixSmall { byte b = 1; boolean z = true; char c = 'c'; }
class MixAll {
    byte b = 2; boolean z = false; char c = '\u00e9'; short s = 3; int i = 4;
    float f = 5.5f; long j = 6L; double d = 7.75; Object o = "mix";
}
class MixLongByte { long j = -1L; byte b = 9; }
class MixRefs { Object a; Object b; Object c; }
class MixIntRef { int i = 11; Object o; short s = 12; }
class ManyBytes { byte b0 = 0, b1 = 1, b2 = 2, b3 = 3, b4 = 4, b5 = 5, b6 = 6, b7 = 7, b8 = 8; }
class ByteThenDouble { byte b = 13; double d = 14.0; boolean z = true; }

// ---------------------------------------------------------------------------
// Inheritance chains; every level adds odd-sized fields.
// ---------------------------------------------------------------------------
class Level1 { byte b1 = 21; }
class Level2 extends Level1 { long l2 = 22L; }
class Level3 extends Level2 { int i3 = 23; short s3 = 24; }
class Level4 extends Level3 { boolean z4 = true; Object r4 = "level4"; char c4 = 'Q'; }

class ChainA { Object a = null; }
class ChainB extends ChainA { byte b = 31; }
class ChainC extends ChainB { double d = 32.5; }
class ChainD extends ChainC { boolean z = true; short s = 33; }

// Base without fields, subclass with one.
class EmptyBase { }
class SubOfEmpty extends EmptyBase { int x = 41; }

// Sub that shadows a superclass field name.
class ShadowBase { int v = 51; }
class ShadowSub extends ShadowBase { long v = 52L; }

// No fields at all.
class Empty { }

// ---------------------------------------------------------------------------
// Classes with only statics (never instantiated, but initialised).
// ---------------------------------------------------------------------------
class StaticsByte { static byte B = -8; }
class StaticsBoolean { static boolean Z = true; }
class StaticsChar { static char C = 'S'; }
class StaticsShort { static short S = -301; }
class StaticsInt { static int I = 987654321; }
class StaticsFloat { static float F = -0.5f; }
class StaticsLong { static long J = -0x1122334455667788L; }
class StaticsDouble { static double D = 3.125; }
class StaticsRef { static Object O = new Leaf(2); }
class StaticsMixed {
    static byte B = 1; static boolean Z = false; static char C = 'm'; static short S = 2;
    static int I = 3; static float F = 4.0f; static long J = 5L; static double D = 6.0;
    static Object O = "statics-mixed"; static Object NULLREF = null;
    static final int CONSTANT = 77; // compile-time constant
    static final String CONSTANT_STRING = "constant-string";
}
// Statics AND instance fields.
class StaticsAndFields {
    static long COUNTER = 99L;
    int inst = 98;
}

// ---------------------------------------------------------------------------
// Hashing with colliding keys so that HashMap treeifies (TreeNode entries).
// ---------------------------------------------------------------------------
class CollidingKey implements Comparable<CollidingKey> {
    final int k;
    CollidingKey(int k) { this.k = k; }
    public int hashCode() { return 42; }
    public boolean equals(Object o) { return o instanceof CollidingKey && ((CollidingKey) o).k == k; }
    public int compareTo(CollidingKey o) { return Integer.compare(k, o.k); }
}

// ---------------------------------------------------------------------------
// References.
// ---------------------------------------------------------------------------
class WeakOnlyTarget { int w = 1; }    // only weakly reachable: cleared by the first GC
class WeakStrongTarget { int w = 2; }  // weakly AND strongly reachable: survives
class SoftTarget { int s = 3; }        // only softly reachable: survives (no memory pressure)
class PhantomTarget { int p = 4; }     // only phantom reachable: cleared by GC

// ---------------------------------------------------------------------------
// Class loaders, threads, thread locals.
// ---------------------------------------------------------------------------
class ZooLoader extends ClassLoader {
    ZooLoader(ClassLoader parent) { super(parent); }
    Class<?> defineFrom(String name, byte[] b) { return defineClass(name, b, 0, b.length); }
}

// Loaded twice: once by the application class loader and once by ZooLoader.
class Reloaded {
    int r = 61;
    long q = 62L;
    Reloaded() { }
}

class ParkedThread extends Thread {
    volatile Object held;
    ParkedThread() { super("zoo-parked"); setDaemon(true); }
    public void run() {
        Basic.TL.set(new ThreadLocalValue(2));
        Object frameLocal = new ParkedFrameLocal(); // Java-frame root in this thread
        held = new Leaf(3);
        while (frameLocal != null) {
            LockSupport.park(this);
        }
    }
}
class ParkedFrameLocal { int x = 71; }
class ThreadLocalValue {
    int owner;
    ThreadLocalValue(int owner) { this.owner = owner; }
}

// A frame-local object in main().
class MainLocal { int y = 81; Object o = new Leaf(4); }

// The 10000-long linked chain.
class ChainNode {
    ChainNode next;
    int index;
    ChainNode(int index, ChainNode next) { this.index = index; this.next = next; }
}

public class Basic {
    // Distinct instance counts, one per instantiated zoo class.
    static final int COUNT_ONLY_BYTE = 3;
    static final int COUNT_ONLY_BOOLEAN = 4;
    static final int COUNT_ONLY_CHAR = 5;
    static final int COUNT_ONLY_SHORT = 6;
    static final int COUNT_ONLY_INT = 7;
    static final int COUNT_ONLY_FLOAT = 8;
    static final int COUNT_ONLY_LONG = 9;
    static final int COUNT_ONLY_DOUBLE = 10;
    static final int COUNT_ONLY_REF = 11;
    static final int COUNT_MIX_SMALL = 12;
    static final int COUNT_MIX_ALL = 13;
    static final int COUNT_MIX_LONG_BYTE = 14;
    static final int COUNT_MIX_REFS = 15;
    static final int COUNT_MIX_INT_REF = 16;
    static final int COUNT_MANY_BYTES = 17;
    static final int COUNT_BYTE_THEN_DOUBLE = 18;
    static final int COUNT_LEVEL1 = 19;
    static final int COUNT_LEVEL2 = 20;
    static final int COUNT_LEVEL3 = 21;
    static final int COUNT_LEVEL4 = 22;
    static final int COUNT_CHAIN_A = 23;
    static final int COUNT_CHAIN_B = 24;
    static final int COUNT_CHAIN_C = 25;
    static final int COUNT_CHAIN_D = 26;
    static final int COUNT_EMPTY_BASE = 27;
    static final int COUNT_SUB_OF_EMPTY = 28;
    static final int COUNT_SHADOW_BASE = 29;
    static final int COUNT_SHADOW_SUB = 30;
    static final int COUNT_EMPTY = 31;
    static final int COUNT_STATICS_AND_FIELDS = 32;
    static final int COUNT_RELOADED_APP = 2;  // Reloaded via the app loader
    static final int COUNT_RELOADED_ZOO = 3;  // Reloaded via ZooLoader
    static final int CHAIN_LENGTH = 10000;

    static final ThreadLocal<Object> TL = new ThreadLocal<Object>();

    static Object[][] ZOO;        // instances of the zoo classes, one Object[] per class
    static Object[] PRIMITIVE_ARRAYS;
    static Object[] OBJECT_ARRAYS;
    static Object[] MULTI_ARRAYS;
    static Object[] STRINGS;
    static Object[] COLLECTIONS;
    static Object[] REFERENCES;
    static ReferenceQueue<Object> QUEUE = new ReferenceQueue<Object>();
    static WeakStrongTarget STRONG_FOR_WEAK;
    static ZooLoader LOADER;
    static Object[] RELOADED;
    static ParkedThread PARKED;
    static ChainNode CHAIN;
    static Object STATIC_TOUCH;

    static Object make(int kind, int i) {
        switch (kind) {
            case 0: return new OnlyByte();
            case 1: return new OnlyBoolean();
            case 2: return new OnlyChar();
            case 3: return new OnlyShort();
            case 4: return new OnlyInt();
            case 5: return new OnlyFloat();
            case 6: return new OnlyLong();
            case 7: return new OnlyDouble();
            case 8: return new OnlyRef();
            case 9: return new MixSmall();
            case 10: return new MixAll();
            case 11: return new MixLongByte();
            case 12: {
                MixRefs m = new MixRefs();
                m.a = m; // self reference
                m.b = new Leaf(100 + i);
                m.c = null;
                return m;
            }
            case 13: return new MixIntRef();
            case 14: return new ManyBytes();
            case 15: return new ByteThenDouble();
            case 16: return new Level1();
            case 17: return new Level2();
            case 18: return new Level3();
            case 19: return new Level4();
            case 20: return new ChainA();
            case 21: return new ChainB();
            case 22: return new ChainC();
            case 23: return new ChainD();
            case 24: return new EmptyBase();
            case 25: return new SubOfEmpty();
            case 26: return new ShadowBase();
            case 27: return new ShadowSub();
            case 28: return new Empty();
            case 29: return new StaticsAndFields();
            default: throw new IllegalArgumentException("kind");
        }
    }

    static final int[] COUNTS = {
        COUNT_ONLY_BYTE, COUNT_ONLY_BOOLEAN, COUNT_ONLY_CHAR, COUNT_ONLY_SHORT,
        COUNT_ONLY_INT, COUNT_ONLY_FLOAT, COUNT_ONLY_LONG, COUNT_ONLY_DOUBLE,
        COUNT_ONLY_REF, COUNT_MIX_SMALL, COUNT_MIX_ALL, COUNT_MIX_LONG_BYTE,
        COUNT_MIX_REFS, COUNT_MIX_INT_REF, COUNT_MANY_BYTES, COUNT_BYTE_THEN_DOUBLE,
        COUNT_LEVEL1, COUNT_LEVEL2, COUNT_LEVEL3, COUNT_LEVEL4,
        COUNT_CHAIN_A, COUNT_CHAIN_B, COUNT_CHAIN_C, COUNT_CHAIN_D,
        COUNT_EMPTY_BASE, COUNT_SUB_OF_EMPTY, COUNT_SHADOW_BASE, COUNT_SHADOW_SUB,
        COUNT_EMPTY, COUNT_STATICS_AND_FIELDS,
    };

    static void buildZoo() {
        ZOO = new Object[COUNTS.length][];
        for (int k = 0; k < COUNTS.length; k++) {
            Object[] row = new Object[COUNTS[k]];
            for (int i = 0; i < row.length; i++) {
                row[i] = make(k, i);
            }
            ZOO[k] = row;
        }
        // Initialise the statics-only classes (reading a non-final static
        // field triggers class initialisation).
        StringBuilder sb = new StringBuilder();
        sb.append(StaticsByte.B).append(StaticsBoolean.Z).append(StaticsChar.C)
          .append(StaticsShort.S).append(StaticsInt.I).append(StaticsFloat.F)
          .append(StaticsLong.J).append(StaticsDouble.D).append(StaticsRef.O != null)
          .append(StaticsMixed.B).append(StaticsAndFields.COUNTER);
        STATIC_TOUCH = sb.toString();
    }

    static final int[] LENGTHS = {0, 1, 2, 3, 7, 8, 9};

    static void buildArrays() {
        // Primitive arrays of every type, lengths 0,1,2,3,7,8,9; element i = i+1.
        Object[] p = new Object[8 * LENGTHS.length];
        int n = 0;
        for (int li = 0; li < LENGTHS.length; li++) {
            int len = LENGTHS[li];
            boolean[] z = new boolean[len];
            byte[] b = new byte[len];
            char[] c = new char[len];
            short[] s = new short[len];
            int[] in = new int[len];
            float[] f = new float[len];
            long[] j = new long[len];
            double[] d = new double[len];
            for (int i = 0; i < len; i++) {
                z[i] = (i % 2) == 0;
                b[i] = (byte) (i + 1);
                c[i] = (char) ('a' + i);
                s[i] = (short) (i + 1);
                in[i] = i + 1;
                f[i] = i + 1.5f;
                j[i] = i + 1L;
                d[i] = i + 1.25;
            }
            p[n++] = z; p[n++] = b; p[n++] = c; p[n++] = s;
            p[n++] = in; p[n++] = f; p[n++] = j; p[n++] = d;
        }
        PRIMITIVE_ARRAYS = p;

        // Object arrays of lengths 0..5, with a zoo component type and with Object.
        Object[] o = new Object[12];
        for (int len = 0; len <= 5; len++) {
            Leaf[] leaves = new Leaf[len];
            Object[] objs = new Object[len];
            for (int i = 0; i < len; i++) {
                leaves[i] = new Leaf(1000 + len * 10 + i);
                objs[i] = (i % 2 == 0) ? (Object) leaves[i] : null; // some null slots
            }
            o[2 * len] = leaves;
            o[2 * len + 1] = objs;
        }
        OBJECT_ARRAYS = o;

        // 2-D and 3-D arrays.
        int[][] grid = new int[3][4];
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 4; k++) {
                grid[i][k] = i * 4 + k;
            }
        }
        long[][] jagged = new long[3][];
        jagged[0] = new long[0];
        jagged[1] = new long[1];
        jagged[2] = null;
        Object[][] objGrid = new Object[2][2];
        objGrid[0][0] = new Leaf(2000);
        Leaf[][][] cube = new Leaf[2][2][2];
        cube[1][1][1] = new Leaf(2001);
        MULTI_ARRAYS = new Object[] {grid, jagged, objGrid, cube};
    }

    static String build(String s) {
        // Build at runtime so the result is not an interned literal.
        return new StringBuilder(s.length()).append(s).toString();
    }

    static void buildStrings() {
        STRINGS = new Object[] {
            "",                                    // empty literal
            "latin1-literal",
            build("latin1-built"),
            build("caf\u00e9 na\u00efve"),          // Latin-1, non-ASCII
            build("\u65e5\u672c\u8a9e"),             // UTF-16 (CJK)
            build("\u03a9mega \u20ac"),              // UTF-16 (Greek, euro sign)
            build("\ud83d\ude00 smile"),              // surrogate pair
            new String(new char[] {'x', 'y', 'z'}),
        };
    }

    static void buildCollections() {
        HashMap<String, Integer> hm = new HashMap<String, Integer>();
        for (int i = 0; i < 20; i++) {
            hm.put(new StringBuilder("key-").append(i).toString(), Integer.valueOf(1000 + i));
        }
        hm.put(null, Integer.valueOf(-1));

        HashMap<CollidingKey, String> tree = new HashMap<CollidingKey, String>(128);
        for (int i = 0; i < 12; i++) {
            tree.put(new CollidingKey(i), new StringBuilder("tree-").append(i).toString());
        }

        ArrayList<Object> al = new ArrayList<Object>();
        for (int i = 0; i < 15; i++) {
            al.add(new Leaf(3000 + i));
        }
        al.add(null);

        LinkedList<String> ll = new LinkedList<String>();
        for (int i = 0; i < 6; i++) {
            ll.add(new StringBuilder("ll-").append(i).toString());
        }

        ConcurrentHashMap<String, Long> chm = new ConcurrentHashMap<String, Long>();
        for (int i = 0; i < 10; i++) {
            chm.put(new StringBuilder("chm-").append(i).toString(), Long.valueOf(5000L + i));
        }

        Map<String, List<String>> nested = new HashMap<String, List<String>>();
        List<String> inner = new ArrayList<String>();
        inner.add("a");
        inner.add("b");
        nested.put("inner", inner);

        COLLECTIONS = new Object[] {hm, tree, al, ll, chm, nested};
    }

    static void buildReferences() {
        STRONG_FOR_WEAK = new WeakStrongTarget();
        REFERENCES = new Object[] {
            new WeakReference<Object>(new WeakOnlyTarget()),
            new WeakReference<Object>(STRONG_FOR_WEAK),
            new SoftReference<Object>(new SoftTarget()),
            new PhantomReference<Object>(new PhantomTarget(), QUEUE),
            new WeakReference<Object>(new Leaf(4000), QUEUE),
        };
    }

    static void buildLoader() throws Exception {
        RELOADED = new Object[COUNT_RELOADED_APP + COUNT_RELOADED_ZOO];
        for (int i = 0; i < COUNT_RELOADED_APP; i++) {
            RELOADED[i] = new Reloaded();
        }
        // Read Reloaded.class from the class path directory and define it again.
        String cp = System.getProperty("java.class.path");
        File f = new File(cp, "Reloaded.class");
        byte[] bytes = new byte[(int) f.length()];
        FileInputStream in = new FileInputStream(f);
        try {
            int off = 0;
            while (off < bytes.length) {
                int r = in.read(bytes, off, bytes.length - off);
                if (r < 0) {
                    throw new java.io.EOFException(f.getPath());
                }
                off += r;
            }
        } finally {
            in.close();
        }
        LOADER = new ZooLoader(Basic.class.getClassLoader());
        Class<?> c = LOADER.defineFrom("Reloaded", bytes);
        // Reloaded is package-private and lives in a different runtime
        // package now, hence setAccessible. Reflection is used fewer than 15
        // times (the inflation threshold), so no accessor classes are generated.
        java.lang.reflect.Constructor<?> ctor = c.getDeclaredConstructor();
        ctor.setAccessible(true);
        for (int i = 0; i < COUNT_RELOADED_ZOO; i++) {
            RELOADED[COUNT_RELOADED_APP + i] = ctor.newInstance();
        }
    }

    static void buildChain() {
        ChainNode head = null;
        for (int i = CHAIN_LENGTH - 1; i >= 0; i--) {
            head = new ChainNode(i, head);
        }
        CHAIN = head;
    }

    public static void main(String[] args) throws Exception {
        Object mainLocal = new MainLocal(); // Java-frame root in main
        buildZoo();
        buildArrays();
        buildStrings();
        buildCollections();
        buildReferences();
        buildLoader();
        buildChain();
        TL.set(new ThreadLocalValue(1));
        PARKED = new ParkedThread();
        PARKED.start();
        while (PARKED.held == null) {
            Thread.sleep(10);
        }
        // Settle the heap: clear weak/phantom referents now, not between the
        // "before" and "after" histograms.
        System.gc();
        System.gc();
        System.out.println("READY");
        System.out.flush();
        while (mainLocal != null) {
            Thread.sleep(3600L * 1000L);
        }
    }
}
