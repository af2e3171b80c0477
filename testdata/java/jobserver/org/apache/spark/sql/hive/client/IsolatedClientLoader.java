package org.apache.spark.sql.hive.client;

import java.net.URL;
import java.net.URLClassLoader;

/**
 * Spark's org.apache.spark.sql.hive.client.IsolatedClientLoader, reduced to
 * its class loader: a URLClassLoader over the Hive client jars (here: a
 * folder of compiled client classes) that loads the Hive client classes
 * ("barrier" classes) itself and never asks its parent for them, so every
 * IsolatedClientLoader defines its own copy of each of them. Everything else
 * (java.*, ...) is shared through the parent.
 */
public class IsolatedClientLoader extends URLClassLoader {

    /** Package of the barrier classes (this class itself is shared). */
    static final String BARRIER_PREFIX = "org.apache.spark.sql.hive.client.";

    /** The Hive version this loader's client speaks, e.g. "1.2.1". */
    private final String hiveVersion;

    public IsolatedClientLoader(URL[] execJars, ClassLoader baseClassLoader, String hiveVersion) {
        super(execJars, baseClassLoader);
        this.hiveVersion = hiveVersion;
    }

    public String hiveVersion() {
        return hiveVersion;
    }

    /** Whether name is one of the isolated Hive client classes. */
    protected boolean isBarrierClass(String name) {
        return name.startsWith(BARRIER_PREFIX)
                && !name.equals("org.apache.spark.sql.hive.client.IsolatedClientLoader");
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                if (!isBarrierClass(name)) {
                    // Shared class: the usual parent-first delegation.
                    return super.loadClass(name, resolve);
                }
                // Barrier class: define it here, never delegate.
                c = findClass(name);
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }
}
