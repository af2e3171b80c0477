// CollectionFill holds collections of known sizes and capacities, each kind
// in a subclass of its own so that its row in leakscan collections stands
// apart from the JDK's own collections. Before READY it writes, to the file
// its first argument names, what the JVM itself says of them: per class,
// the instances, the empty ones, the fill-ratio buckets (entries over
// capacity: up to 25%, 50%, 75%, more), the entries (size()), the backing
// arrays' slots and the slots holding null, read by reflection. It needs
//   --add-opens java.base/java.util=ALL-UNNAMED
//   --add-opens java.base/java.util.concurrent=ALL-UNNAMED
//
// The fixture rules of Basic.java hold here: no lambdas, no streams, no
// string concatenation of non-constants.

import java.io.PrintWriter;
import java.lang.reflect.Field;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Properties;
import java.util.Vector;
import java.util.concurrent.ConcurrentHashMap;

public class CollectionFill {
    static class EmptyList extends ArrayList<Object> { EmptyList() { super(50); } }
    static class FullList extends ArrayList<Object> { FullList() { super(10); } }
    static class OneMap extends HashMap<Object, Object> { }
    static class Set12 extends HashSet<Integer> { }
    static class Chm extends ConcurrentHashMap<Object, Object> { }
    static class Dq extends ArrayDeque<Object> { }
    static class Props extends Properties { }
    static class Vec extends Vector<Object> { Vec() { super(20); } }
    static class Ihm extends IdentityHashMap<Object, Object> { }
    // Fields hiding ArrayList's: the measure is ArrayList's own.
    static class Shadow extends ArrayList<Object> {
        int size = 99;
        Object[] elementData = new Object[3];
        Shadow() { super(10); }
    }

    static final Object[] HELD = new Object[10];

    public static void main(String[] args) throws Exception {
        Object[] empty = new Object[1000];
        for (int i = 0; i < empty.length; i++) {
            empty[i] = new EmptyList();
        }
        Object[] full = new Object[200];
        for (int i = 0; i < full.length; i++) {
            FullList l = new FullList();
            for (int k = 0; k < 10; k++) {
                l.add(Integer.valueOf(k));
            }
            full[i] = l;
        }
        Object[] one = new Object[300];
        for (int i = 0; i < one.length; i++) {
            OneMap m = new OneMap();
            m.put(Integer.valueOf(i), "v");
            one[i] = m;
        }
        Object[] sets = new Object[100];
        for (int i = 0; i < sets.length; i++) {
            Set12 s = new Set12();
            for (int k = 0; k < 12; k++) {
                s.add(Integer.valueOf(k));
            }
            sets[i] = s;
        }
        Object[] chms = new Object[50];
        for (int i = 0; i < chms.length; i++) {
            Chm m = new Chm();
            for (int k = 0; k < 3; k++) {
                m.put(Integer.valueOf(k), "v");
            }
            chms[i] = m;
        }
        Object[] dqs = new Object[20];
        for (int i = 0; i < dqs.length; i++) {
            Dq d = new Dq();
            for (int k = 0; k < 5; k++) {
                d.addLast(Integer.valueOf(k));
            }
            d.pollFirst(); // head moves: 4 left, from slot 1
            dqs[i] = d;
        }
        Object[] props = new Object[10];
        for (int i = 0; i < props.length; i++) {
            Props p = new Props();
            p.setProperty("a", "1");
            p.setProperty("b", "2");
            props[i] = p;
        }
        Object[] vecs = new Object[5];
        for (int i = 0; i < vecs.length; i++) {
            Vec v = new Vec();
            for (int k = 0; k < 20; k++) {
                v.add(Integer.valueOf(k));
            }
            vecs[i] = v;
        }
        Object[] ihms = new Object[4];
        for (int i = 0; i < ihms.length; i++) {
            Ihm m = new Ihm();
            for (int k = 0; k < 4; k++) {
                m.put(new Object(), "v");
            }
            ihms[i] = m;
        }
        Object[] shadows = new Object[6];
        for (int i = 0; i < shadows.length; i++) {
            Shadow l = new Shadow();
            for (int k = 0; k < 7; k++) {
                l.add(Integer.valueOf(k));
            }
            shadows[i] = l;
        }
        Object[][] all = {empty, full, one, sets, chms, dqs, props, vecs, ihms, shadows};
        for (int i = 0; i < all.length; i++) {
            HELD[i] = all[i];
        }

        PrintWriter out = new PrintWriter(args[0], "UTF-8");
        for (int i = 0; i < all.length; i++) {
            long n = 0, emptyN = 0, b25 = 0, b50 = 0, b75 = 0, over = 0, entries = 0, slots = 0, unused = 0;
            String name = all[i][0].getClass().getName();
            for (int k = 0; k < all[i].length; k++) {
                Object c = all[i][k];
                long size = ((java.util.Map.class.isInstance(c)) ? ((java.util.Map) c).size() : ((java.util.Collection) c).size());
                Object[] array = backing(c);
                long length = array == null ? 0 : array.length;
                long nulls = 0;
                for (int j = 0; j < length; j++) {
                    if (array[j] == null) {
                        nulls++;
                    }
                }
                long capacity = c instanceof IdentityHashMap ? length / 2 : length;
                n++;
                entries += size;
                slots += length;
                unused += nulls;
                if (size == 0) {
                    emptyN++;
                } else if (4 * size <= capacity) {
                    b25++;
                } else if (2 * size <= capacity) {
                    b50++;
                } else if (4 * size <= 3 * capacity) {
                    b75++;
                } else {
                    over++;
                }
            }
            StringBuilder line = new StringBuilder(name);
            long[] figures = {n, emptyN, b25, b50, b75, over, entries, slots, unused};
            for (int k = 0; k < figures.length; k++) {
                line.append(' ').append(figures[k]);
            }
            out.println(line.toString());
        }
        out.close();

        System.gc();
        System.out.println("READY");
        System.out.flush();
        while (HELD[0] != null) {
            Thread.sleep(3600L * 1000L);
        }
    }

    // backing returns the array a collection keeps its entries in, read by
    // reflection (a set's and a Properties' map's).
    static Object[] backing(Object c) throws Exception {
        if (c instanceof HashSet) {
            return backing(field(HashSet.class, "map").get(c));
        }
        if (c instanceof Properties) {
            return backing(field(Properties.class, "map").get(c));
        }
        if (c instanceof ArrayList) {
            return (Object[]) field(ArrayList.class, "elementData").get(c);
        }
        if (c instanceof Vector) {
            return (Object[]) field(Vector.class, "elementData").get(c);
        }
        if (c instanceof ArrayDeque) {
            return (Object[]) field(ArrayDeque.class, "elements").get(c);
        }
        if (c instanceof IdentityHashMap) {
            return (Object[]) field(IdentityHashMap.class, "table").get(c);
        }
        if (c instanceof ConcurrentHashMap) {
            return (Object[]) field(ConcurrentHashMap.class, "table").get(c);
        }
        return (Object[]) field(HashMap.class, "table").get(c);
    }

    static Field field(Class<?> c, String name) throws Exception {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }
}
