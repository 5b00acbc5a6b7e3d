package fjc.testjobs;

import java.util.HashMap;
import java.util.Map;

/** Minimal "--key value" / "--flag" parser, so the jobs do not depend on a Flink utility class. */
final class Args {
    private final Map<String, String> values = new HashMap<>();

    private Args() {}

    static Args parse(String[] argv) {
        Args args = new Args();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument: " + a);
            }
            String key = a.substring(2);
            int eq = key.indexOf('=');
            if (eq >= 0) {
                args.values.put(key.substring(0, eq), key.substring(eq + 1));
            } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
                args.values.put(key, argv[++i]);
            } else {
                args.values.put(key, "true");
            }
        }
        return args;
    }

    String required(String key) {
        String v = values.get(key);
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException("missing required argument --" + key);
        }
        return v;
    }

    String get(String key, String dflt) {
        return values.getOrDefault(key, dflt);
    }

    long getLong(String key, long dflt) {
        String v = values.get(key);
        return v == null ? dflt : Long.parseLong(v);
    }

    boolean flag(String key) {
        return Boolean.parseBoolean(values.getOrDefault(key, "false"));
    }
}
