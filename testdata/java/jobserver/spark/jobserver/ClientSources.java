package spark.jobserver;

/**
 * Java sources of the 25 isolated Hive client classes (package
 * org.apache.spark.sql.hive.client). They are deliberately NOT .java files
 * of the fixture: the fixture build would compile them onto the application
 * class path. JobServer writes them to a temporary folder at startup and
 * compiles them there, so only IsolatedClientLoaders can see them.
 *
 * Shared rules: no lambdas, method references, streams, records or string
 * concatenation of non-constants, neither here nor in the generated code.
 */
final class ClientSources {

    static final String PACKAGE = "org.apache.spark.sql.hive.client";

    /** The Hive shims, oldest first; each extends the previous one. */
    static final String[] SHIMS = {
        "Shim_v0_12", "Shim_v0_13", "Shim_v0_14", "Shim_v1_0", "Shim_v1_1", "Shim_v1_2",
        "Shim_v2_0", "Shim_v2_1", "Shim_v2_2", "Shim_v2_3", "Shim_v3_0", "Shim_v3_1",
    };

    static final String[] SHIM_VERSIONS = {
        "0.12.0", "0.13.1", "0.14.0", "1.0.0", "1.1.0", "1.2.1",
        "2.0.1", "2.1.1", "2.2.0", "2.3.9", "3.0.0", "3.1.2",
    };

    /** The other client classes, with hand-written sources below. */
    static final String[] OTHERS = {
        "HiveClientImpl", "HiveVersion", "HiveConf", "CircularBuffer", "HiveSessionState",
        "HiveMetastoreClient", "HiveDelegationTokenProvider", "HiveDatabase", "HiveTable",
        "HiveColumn", "HivePartition", "HiveFunction", "ClientWrapper",
    };

    private ClientSources() {
    }

    /** All 25 simple class names: the OTHERS, then the SHIMS. */
    static String[] simpleNames() {
        String[] names = new String[OTHERS.length + SHIMS.length];
        System.arraycopy(OTHERS, 0, names, 0, OTHERS.length);
        System.arraycopy(SHIMS, 0, names, OTHERS.length, SHIMS.length);
        return names;
    }

    /** All 25 fully qualified class names. */
    static String[] classNames() {
        String[] simple = simpleNames();
        String[] names = new String[simple.length];
        for (int i = 0; i < simple.length; i++) {
            names[i] = new StringBuilder(PACKAGE).append('.').append(simple[i]).toString();
        }
        return names;
    }

    /** The Java source of the client class simpleName. */
    static String source(String simpleName) {
        for (int i = 0; i < SHIMS.length; i++) {
            if (SHIMS[i].equals(simpleName)) {
                return shimSource(i);
            }
        }
        switch (simpleName) {
            case "HiveClientImpl":
                return HIVE_CLIENT_IMPL;
            case "HiveVersion":
                return HIVE_VERSION;
            case "HiveConf":
                return HIVE_CONF;
            case "CircularBuffer":
                return CIRCULAR_BUFFER;
            case "HiveSessionState":
                return HIVE_SESSION_STATE;
            case "HiveMetastoreClient":
                return HIVE_METASTORE_CLIENT;
            case "HiveDelegationTokenProvider":
                return HIVE_DELEGATION_TOKEN_PROVIDER;
            case "HiveDatabase":
                return HIVE_DATABASE;
            case "HiveTable":
                return HIVE_TABLE;
            case "HiveColumn":
                return HIVE_COLUMN;
            case "HivePartition":
                return HIVE_PARTITION;
            case "HiveFunction":
                return HIVE_FUNCTION;
            case "ClientWrapper":
                return CLIENT_WRAPPER;
            default:
                throw new IllegalArgumentException(simpleName);
        }
    }

    private static String shimSource(int i) {
        String name = SHIMS[i];
        StringBuilder sb = new StringBuilder();
        sb.append("package ").append(PACKAGE).append(";\n\n");
        sb.append("/** The calls that differ in Hive ").append(SHIM_VERSIONS[i]).append(". */\n");
        sb.append("public class ").append(name);
        if (i > 0) {
            sb.append(" extends ").append(SHIMS[i - 1]);
        }
        sb.append(" {\n");
        if (i == 0) {
            sb.append("    protected final String version;\n\n");
        }
        sb.append("    public ").append(name).append("() {\n");
        sb.append("        this(\"").append(SHIM_VERSIONS[i]).append("\");\n");
        sb.append("    }\n\n");
        sb.append("    protected ").append(name).append("(String version) {\n");
        if (i == 0) {
            sb.append("        this.version = version;\n");
        } else {
            sb.append("        super(version);\n");
        }
        sb.append("    }\n");
        if (i == 0) {
            sb.append("\n    public String version() {\n        return version;\n    }\n");
        }
        sb.append("}\n");
        return sb.toString();
    }

    // Every HiveClientImpl holds one instance of each of the 25 client
    // classes (itself included), and a byte[16 * 1024] output buffer.

    private static final String HIVE_CLIENT_IMPL = """
        package org.apache.spark.sql.hive.client;

        /** A Hive client, talking to the metastore through one Hive version's jars. */
        public class HiveClientImpl {
            private final HiveVersion version;
            private final HiveConf conf;
            private final CircularBuffer outputBuffer;
            private final HiveSessionState state;
            private final HiveMetastoreClient client;
            private final HiveDelegationTokenProvider tokenProvider;
            private final HiveDatabase currentDatabase;
            private final Object[] shims;
            private final Shim_v0_12 shim;
            private final ClientWrapper wrapper;

            public HiveClientImpl() {
                version = new HiveVersion("1.2.1", 1, 2);
                conf = new HiveConf();
                outputBuffer = new CircularBuffer(16 * 1024);
                state = new HiveSessionState(conf, outputBuffer);
                client = new HiveMetastoreClient(conf);
                tokenProvider = new HiveDelegationTokenProvider(conf);
                currentDatabase = new HiveDatabase("default");
                shims = new Object[] {
                    new Shim_v0_12(), new Shim_v0_13(), new Shim_v0_14(), new Shim_v1_0(),
                    new Shim_v1_1(), new Shim_v1_2(), new Shim_v2_0(), new Shim_v2_1(),
                    new Shim_v2_2(), new Shim_v2_3(), new Shim_v3_0(), new Shim_v3_1(),
                };
                shim = (Shim_v0_12) shims[5];
                wrapper = new ClientWrapper(this);
            }

            public HiveVersion version() {
                return version;
            }

            public Shim_v0_12 shim() {
                return shim;
            }

            public HiveDatabase currentDatabase() {
                return currentDatabase;
            }
        }
        """;

    private static final String HIVE_VERSION = """
        package org.apache.spark.sql.hive.client;

        /** A supported Hive version. */
        public class HiveVersion {
            public final String fullVersion;
            public final int majorVersion;
            public final int minorVersion;

            public HiveVersion(String fullVersion, int majorVersion, int minorVersion) {
                this.fullVersion = fullVersion;
                this.majorVersion = majorVersion;
                this.minorVersion = minorVersion;
            }
        }
        """;

    private static final String HIVE_CONF = """
        package org.apache.spark.sql.hive.client;

        import java.util.HashMap;

        /** The client's Hive configuration. */
        public class HiveConf {
            private final HashMap<String, String> props = new HashMap<String, String>();

            public HiveConf() {
                props.put("hive.metastore.uris", "thrift://metastore:9083");
                props.put("hive.metastore.warehouse.dir", "/user/hive/warehouse");
                props.put("hive.exec.scratchdir", "/tmp/hive");
            }

            public String get(String key) {
                return props.get(key);
            }
        }
        """;

    private static final String CIRCULAR_BUFFER = """
        package org.apache.spark.sql.hive.client;

        import java.io.OutputStream;

        /** Keeps the last bytes Hive wrote to its session output. */
        public class CircularBuffer extends OutputStream {
            private int pos;
            private boolean isBufferFull;
            private final byte[] buffer;

            public CircularBuffer(int sizeInBytes) {
                buffer = new byte[sizeInBytes];
            }

            @Override
            public void write(int input) {
                buffer[pos] = (byte) input;
                pos = (pos + 1) % buffer.length;
                isBufferFull = isBufferFull || pos == 0;
            }
        }
        """;

    private static final String HIVE_SESSION_STATE = """
        package org.apache.spark.sql.hive.client;

        /** Hive's per-client SessionState. */
        public class HiveSessionState {
            private final HiveConf conf;
            private final CircularBuffer out;
            private String currentDatabase = "default";

            public HiveSessionState(HiveConf conf, CircularBuffer out) {
                this.conf = conf;
                this.out = out;
            }

            public String currentDatabase() {
                return currentDatabase;
            }
        }
        """;

    private static final String HIVE_METASTORE_CLIENT = """
        package org.apache.spark.sql.hive.client;

        /** The Thrift metastore client. */
        public class HiveMetastoreClient {
            private final HiveConf conf;
            private final String uri;
            private boolean connected;

            public HiveMetastoreClient(HiveConf conf) {
                this.conf = conf;
                this.uri = conf.get("hive.metastore.uris");
                this.connected = true;
            }
        }
        """;

    private static final String HIVE_DELEGATION_TOKEN_PROVIDER = """
        package org.apache.spark.sql.hive.client;

        /** Obtains metastore delegation tokens. */
        public class HiveDelegationTokenProvider {
            private final HiveConf conf;
            private final String tokenSignature = "hive.metastore.token";

            public HiveDelegationTokenProvider(HiveConf conf) {
                this.conf = conf;
            }
        }
        """;

    private static final String HIVE_DATABASE = """
        package org.apache.spark.sql.hive.client;

        /** A metastore database with one table and one function. */
        public class HiveDatabase {
            private final String name;
            private final String locationUri;
            private final HiveTable table;
            private final HiveFunction function;

            public HiveDatabase(String name) {
                this.name = name;
                this.locationUri = "hdfs://namenode:8020/user/hive/warehouse";
                this.table = new HiveTable(this, "src");
                this.function = new HiveFunction(this, "to_upper", "org.apache.hadoop.hive.ql.udf.UDFUpper");
            }
        }
        """;

    private static final String HIVE_TABLE = """
        package org.apache.spark.sql.hive.client;

        /** A metastore table with one column and one partition. */
        public class HiveTable {
            private final HiveDatabase database;
            private final String name;
            private final HiveColumn keyColumn;
            private final HivePartition partition;

            public HiveTable(HiveDatabase database, String name) {
                this.database = database;
                this.name = name;
                this.keyColumn = new HiveColumn("key", "int");
                this.partition = new HivePartition(this, "ds=2017-12-01");
            }
        }
        """;

    private static final String HIVE_COLUMN = """
        package org.apache.spark.sql.hive.client;

        /** A table column. */
        public class HiveColumn {
            private final String name;
            private final String dataType;

            public HiveColumn(String name, String dataType) {
                this.name = name;
                this.dataType = dataType;
            }
        }
        """;

    private static final String HIVE_PARTITION = """
        package org.apache.spark.sql.hive.client;

        /** A table partition. */
        public class HivePartition {
            private final HiveTable table;
            private final String spec;

            public HivePartition(HiveTable table, String spec) {
                this.table = table;
                this.spec = spec;
            }
        }
        """;

    private static final String HIVE_FUNCTION = """
        package org.apache.spark.sql.hive.client;

        /** A permanent function of a database. */
        public class HiveFunction {
            private final HiveDatabase database;
            private final String name;
            private final String className;

            public HiveFunction(HiveDatabase database, String name, String className) {
                this.database = database;
                this.name = name;
                this.className = className;
            }
        }
        """;

    private static final String CLIENT_WRAPPER = """
        package org.apache.spark.sql.hive.client;

        /** The Spark 1.x name of the client: a thin wrapper around it. */
        public class ClientWrapper {
            private final HiveClientImpl client;

            public ClientWrapper(HiveClientImpl client) {
                this.client = client;
            }
        }
        """;
}
