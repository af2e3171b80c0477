package spark.jobserver;

import java.util.ArrayList;
import java.util.List;

/**
 * The job server's registry of per-job Hive clients. It is loaded by the
 * application (system) class loader and lives as long as the JVM; every job
 * adds its HiveClientImpl here and nothing ever removes it: the leak.
 */
public final class JobRegistry {

    /** Hive clients of finished jobs, never cleared. */
    public static final List<Object> CLIENTS = new ArrayList<Object>();

    private JobRegistry() {
    }
}
