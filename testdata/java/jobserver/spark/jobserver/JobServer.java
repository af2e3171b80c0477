// JobServer: the heap of the spark-jobserver PermGen/Metaspace leak. Every
// job that uses a HiveContext gets a fresh
// org.apache.spark.sql.hive.client.IsolatedClientLoader, which defines its
// own copy of all the Hive client classes; the job server keeps each job's
// HiveClientImpl in a static registry, so no loader (nor any of its classes)
// can ever be unloaded, and the number of classes grows with every job until
// Metaspace (PermGen before Java 8) runs out. Rebuilt with Spark's class
// names so that leakscan can be tested on the shape of that heap without
// shipping Spark or Hive.
//
// Regenerate the committed dumps (from the repository root) with:
//
//   go run ./internal/testjvm/capture -program JobServer -main spark.jobserver.JobServer -src testdata/java -out testdata/dumps -gz -flags "-Xmx128m -XX:+UseSerialGC -Xshare:off"
//
// What the program does before it prints READY:
//
// - It writes the sources of 25 Hive client classes (package
//   org.apache.spark.sql.hive.client: HiveClientImpl, HiveVersion, HiveConf,
//   CircularBuffer, HiveSessionState, HiveMetastoreClient,
//   HiveDelegationTokenProvider, HiveDatabase, HiveTable, HiveColumn,
//   HivePartition, HiveFunction, ClientWrapper and Shim_v0_12 .. Shim_v3_1;
//   see ClientSources) to a temporary folder and compiles them there with the
//   JDK's own compiler (javax.tools), in process. They are never on the
//   application class path: the system class loader cannot load them.
// - It runs 40 "jobs". Each creates a new IsolatedClientLoader (a
//   URLClassLoader over the temporary classes folder, parent = the system
//   class loader, never delegating the client classes to it), loads all 25
//   client classes through it with Class.forName(name, true, loader),
//   instantiates HiveClientImpl (which creates exactly one instance of each
//   of the 25 classes, itself included, and a byte[16 * 1024] output buffer
//   in CircularBuffer.buffer) and adds the client to the static list
//   spark.jobserver.JobRegistry.CLIENTS. The loader itself is then dropped:
//   it stays alive only through
//   JobRegistry.CLIENTS -> ArrayList.elementData -> HiveClientImpl -> its
//   class -> IsolatedClientLoader.
// - It deletes the temporary folder, drops everything javac-related and runs
//   a GC.
//
// So the heap holds 40 IsolatedClientLoaders, 40 classes of each of the 25
// client class names (one per loader) and one instance of each of these
// 1,000 classes.
//
// The program checks this state itself and exits with an error instead of
// printing READY if it does not hold.
//
// Rules (as for every fixture): no lambdas, method references, streams or
// records, no string concatenation of non-constants (StringBuilder only).
// The fixture code spins no hidden classes; the in-process javac run does
// (javac itself uses lambdas), and those hidden classes and javac's classes
// stay loaded by the system class loader.
package spark.jobserver;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import org.apache.spark.sql.hive.client.IsolatedClientLoader;

/** The job server: runs the jobs, then waits forever. */
public final class JobServer {

    /** Number of jobs run, i.e. of leaked loaders and clients. */
    static final int JOBS = 40;

    static final String HIVE_VERSION = "1.2.1";

    static final String HIVE_CLIENT_IMPL = "org.apache.spark.sql.hive.client.HiveClientImpl";

    private JobServer() {
    }

    public static void main(String[] args) throws Exception {
        File work = Files.createTempDirectory("jobserver-hive-").toFile();
        try {
            URL[] hiveJars = new URL[] {compileClients(work).toURI().toURL()};
            for (int job = 0; job < JOBS; job++) {
                runJob(job, hiveJars);
            }
        } finally {
            deleteTree(work);
        }
        check();
        System.gc();
        System.gc();
        System.out.println("READY");
        System.out.flush();
        while (true) {
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    /**
     * One job: a new isolated Hive client, registered for good. The loader
     * is a local variable only, gone when the method returns.
     */
    static void runJob(int job, URL[] hiveJars) throws Exception {
        IsolatedClientLoader loader =
                new IsolatedClientLoader(hiveJars, ClassLoader.getSystemClassLoader(), HIVE_VERSION);
        String[] names = ClientSources.classNames();
        for (int i = 0; i < names.length; i++) {
            Class.forName(names[i], true, loader);
        }
        Class<?> impl = Class.forName(HIVE_CLIENT_IMPL, true, loader);
        Object client = impl.getDeclaredConstructor().newInstance();
        JobRegistry.CLIENTS.add(client);
    }

    /**
     * Writes the client sources under work/src and compiles them into
     * work/classes, which it returns. Nothing javac-related outlives the
     * call (but javac's classes stay loaded).
     */
    static File compileClients(File work) throws IOException {
        File src = new File(work, "src");
        File pkg = new File(src, ClientSources.PACKAGE.replace('.', File.separatorChar));
        File classes = new File(work, "classes");
        if (!pkg.mkdirs() || !classes.mkdirs()) {
            throw new IOException(new StringBuilder("cannot create folders under ").append(work).toString());
        }
        List<String> args = new ArrayList<String>();
        args.add("-d");
        args.add(classes.getPath());
        args.add("-classpath");
        args.add(classes.getPath());
        args.add("-sourcepath");
        args.add(src.getPath());
        args.add("-proc:none");
        args.add("-implicit:none");
        args.add("-nowarn");
        args.add("-encoding");
        args.add("UTF-8");
        args.add("-XDstringConcat=inline");
        // Keep javac's name table out of its static cache.
        args.add("-XDuseUnsharedTable=true");
        String[] names = ClientSources.simpleNames();
        for (int i = 0; i < names.length; i++) {
            File file = new File(pkg, new StringBuilder(names[i]).append(".java").toString());
            Files.write(file.toPath(), ClientSources.source(names[i]).getBytes(StandardCharsets.UTF_8));
            args.add(file.getPath());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no system Java compiler (is this a JRE?)");
        }
        int rc = javac.run(null, null, null, args.toArray(new String[0]));
        if (rc != 0) {
            throw new IllegalStateException(new StringBuilder("javac exited with ").append(rc).toString());
        }
        return classes;
    }

    static void deleteTree(File f) {
        File[] children = f.listFiles();
        if (children != null) {
            for (int i = 0; i < children.length; i++) {
                deleteTree(children[i]);
            }
        }
        f.delete();
    }

    /** Verifies the leak's shape; exits with status 1 if it is wrong. */
    static void check() throws Exception {
        StringBuilder problems = new StringBuilder();
        try {
            Class.forName(HIVE_CLIENT_IMPL, false, ClassLoader.getSystemClassLoader());
            problems.append("the system class loader can load HiveClientImpl\n");
        } catch (ClassNotFoundException expected) {
            // Good: the client classes are only in the isolated loaders.
        }
        if (JobRegistry.CLIENTS.size() != JOBS) {
            problems.append("JobRegistry.CLIENTS has ").append(JobRegistry.CLIENTS.size())
                    .append(" clients, want ").append(JOBS).append('\n');
        }
        String[] names = ClientSources.classNames();
        List<ClassLoader> seen = new ArrayList<ClassLoader>();
        for (int i = 0; i < JobRegistry.CLIENTS.size(); i++) {
            Object client = JobRegistry.CLIENTS.get(i);
            Class<?> impl = client.getClass();
            ClassLoader loader = impl.getClassLoader();
            if (!impl.getName().equals(HIVE_CLIENT_IMPL) || !(loader instanceof IsolatedClientLoader)) {
                problems.append("client ").append(i).append(" is a ").append(impl.getName())
                        .append(" from ").append(loader).append('\n');
                continue;
            }
            for (int j = 0; j < seen.size(); j++) {
                if (seen.get(j) == loader) {
                    problems.append("client ").append(i).append(" shares its loader with client ")
                            .append(j).append('\n');
                }
            }
            seen.add(loader);
            for (int k = 0; k < names.length; k++) {
                Class<?> c = Class.forName(names[k], false, loader);
                if (c.getClassLoader() != loader) {
                    problems.append("client ").append(i).append(": ").append(names[k])
                            .append(" was defined by ").append(c.getClassLoader()).append('\n');
                }
            }
            Field outputBuffer = impl.getDeclaredField("outputBuffer");
            outputBuffer.setAccessible(true);
            Object buffer = outputBuffer.get(client);
            Field bytes = buffer.getClass().getDeclaredField("buffer");
            bytes.setAccessible(true);
            if (((byte[]) bytes.get(buffer)).length != 16 * 1024) {
                problems.append("client ").append(i).append(": output buffer is not 16 KiB\n");
            }
        }
        if (problems.length() > 0) {
            System.err.print(problems);
            System.exit(1);
        }
    }
}
