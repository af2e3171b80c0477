// SystemProps: a JVM with a property of its own set (non-ASCII, a tab, a
// newline), which writes every system property to args[0], one per line,
// key and value as hexadecimal UTF-8 ("6a617661 3137"), for leakscan
// properties' live-JVM test to compare with what it reads from the dump.
//
// Rules as for every fixture here (see Basic.java).

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

public class SystemProps {
    static String hex(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            b.append(Character.forDigit((x >> 4) & 15, 16));
            b.append(Character.forDigit(x & 15, 16));
        }
        return b.toString();
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("leakscan.fixture", "gr\u00fc\u00dfe\tund \u2713\nzweite Zeile");
        System.setProperty("leakscan.empty", "");
        Properties props = System.getProperties();
        PrintWriter out = new PrintWriter(args[0], "UTF-8");
        for (String key : props.stringPropertyNames()) {
            out.print(hex(key));
            out.print(' ');
            out.println(hex(props.getProperty(key)));
        }
        out.close();
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
