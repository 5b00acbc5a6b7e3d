package fjc.sql;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;

/**
 * A Flink SQL script split into statements and classified, with no Flink dependency (the offline
 * half of the runner; {@code java -cp fjc-sql-runner.jar fjc.sql.SqlScript --script F} checks a
 * script without a cluster).
 *
 * <p>Splitting: {@code ;} ends a statement except inside '...' strings (with '' escapes),
 * "..." and `...` quoted identifiers, {@code --} line comments and {@code /* *&#47;} block
 * comments. An {@code EXECUTE STATEMENT SET BEGIN ... END} block is one statement: inside it only
 * a {@code ;} right after the word END ends it ({@link Splitter}). Each statement's kind comes from
 * its leading words ({@link Classifier}); {@link #checkOffline} judges the whole script.
 */
public final class SqlScript {

    /** What a statement does, decided from its leading words. */
    public enum Kind {
        SET, // SET 'key' = 'value'
        DDL, // CREATE/DROP/ALTER (not CTAS), USE, LOAD/UNLOAD MODULE
        INSERT, // INSERT INTO/OVERWRITE, EXECUTE INSERT
        STATEMENT_SET, // EXECUTE STATEMENT SET BEGIN ... END (inner INSERTs in children)
        BEGIN_SET, // BEGIN STATEMENT SET (SQL client form; INSERTs follow until END)
        END_SET, // END (closes BEGIN STATEMENT SET)
        REFUSED, // client-only commands, queries without INSERT, unsupported statements
        UNKNOWN // none of the above: left to Flink's parser, which names the error
    }

    /** One statement with its place in the script. */
    public static final class Statement {
        public final int number; // 1-based among the script's statements
        public final int line; // 1-based line of its first character
        public final int column; // 1-based column of its first character
        public final String text; // as written, without the trailing ';'
        public final String shape; // text with comments blanked and string literals emptied
        public final Kind kind;
        public final String refusal; // why a REFUSED statement is refused
        public final List<Statement> children; // the INSERTs of a STATEMENT_SET
        public final String setKey; // SET only
        public final String setValue; // SET only

        Statement(int number, int line, int column, String text, String shape, Kind kind,
                String refusal, List<Statement> children, String setKey, String setValue) {
            this.number = number;
            this.line = line;
            this.column = column;
            this.text = text;
            this.shape = shape;
            this.kind = kind;
            this.refusal = refusal;
            this.children = children;
            this.setKey = setKey;
            this.setValue = setValue;
        }

        /** The first line of the statement, shortened for messages. */
        public String firstLine() {
            int nl = text.indexOf('\n');
            String first = (nl < 0 ? text : text.substring(0, nl)).trim();
            return first.length() > 100 ? first.substring(0, 97) + "..." : first;
        }

        /**
         * The text preceded by newlines and spaces so that Flink's parser, which numbers lines and
         * columns from the start of what it is given, reports positions in the script.
         */
        public String positionedText() {
            StringBuilder sb = new StringBuilder(text.length() + line + column);
            for (int i = 1; i < line; i++) {
                sb.append('\n');
            }
            for (int i = 1; i < column; i++) {
                sb.append(' ');
            }
            return sb.append(text).toString();
        }

        /** "statement N (line L)" */
        public String where() {
            return "statement " + number + " (line " + line + ")";
        }
    }

    /** A script that cannot be run; the message is one line, ready for the user. */
    public static final class ScriptException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ScriptException(String message) {
            // No stack trace: the message is all that matters and it travels in REST answers.
            super(message, null, false, false);
        }
    }

    public static final String PREFIX = "fjc-sql: ";

    public final List<Statement> statements;

    private SqlScript(List<Statement> statements) {
        this.statements = Collections.unmodifiableList(statements);
    }

    static ScriptException error(Statement s, String message) {
        return new ScriptException(PREFIX + s.where() + ": " + oneLine(message));
    }

    static ScriptException error(String message) {
        return new ScriptException(PREFIX + oneLine(message));
    }

    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String t = s.strip();
        int nl = t.indexOf('\n');
        if (nl >= 0) {
            t = t.substring(0, nl).strip();
        }
        return t.replace('\r', ' ');
    }

    /** Parses and classifies a script; throws ScriptException for what is wrong offline. */
    public static SqlScript parse(String script) {
        List<Statement> out = new ArrayList<>();
        Splitter.split(script, 0, script.length(), out, true);
        if (out.isEmpty()) {
            throw error("the script is empty: no SQL statement to run");
        }
        return new SqlScript(out);
    }

    // ---- offline checks -----------------------------------------------------------------------

    /**
     * What can be checked without Flink: no refused statement, statement sets well formed, at
     * least one INSERT. Throws the first problem.
     */
    public void checkOffline() {
        boolean inLegacySet = false;
        int inserts = 0;
        for (Statement s : statements) {
            switch (s.kind) {
                case REFUSED:
                    throw error(s, s.refusal + ": " + s.firstLine());
                case BEGIN_SET:
                    if (inLegacySet) {
                        throw error(s, "BEGIN STATEMENT SET inside a statement set");
                    }
                    inLegacySet = true;
                    break;
                case END_SET:
                    if (!inLegacySet) {
                        throw error(s, "END without BEGIN STATEMENT SET");
                    }
                    inLegacySet = false;
                    break;
                case STATEMENT_SET:
                    if (s.children.isEmpty()) {
                        throw error(s, "EXECUTE STATEMENT SET holds no INSERT");
                    }
                    for (Statement c : s.children) {
                        if (c.kind != Kind.INSERT) {
                            throw error(c, "only INSERT INTO is allowed inside EXECUTE "
                                    + "STATEMENT SET: " + c.firstLine());
                        }
                        inserts++;
                    }
                    break;
                case INSERT:
                    inserts++;
                    break;
                default:
                    if (inLegacySet) {
                        throw error(s, "only INSERT INTO is allowed inside a statement set: "
                                + s.firstLine());
                    }
            }
        }
        if (inLegacySet) {
            throw error("BEGIN STATEMENT SET has no END");
        }
        if (inserts == 0) {
            throw error("no INSERT INTO: the script defines no job (statements: "
                    + statements.size() + ")");
        }
    }

    /** Reads --script PATH or --script-base64 TEXT from the program arguments. */
    public static String readScript(String[] argv) throws java.io.IOException {
        String path = null;
        String b64 = null;
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            String v = null;
            String k = a;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                k = a.substring(0, eq);
                v = a.substring(eq + 1);
            } else if (i + 1 < argv.length) {
                v = argv[i + 1];
            }
            if (k.equals("--script") || k.equals("--script-base64")) {
                if (v == null) {
                    throw error("missing value for " + k);
                }
                if (eq < 0) {
                    i++;
                }
                if (k.equals("--script")) {
                    path = v;
                } else {
                    b64 = v;
                }
            } else {
                throw error("unknown argument " + a
                        + " (usage: --script PATH | --script-base64 TEXT)");
            }
        }
        if ((path == null) == (b64 == null)) {
            throw error("give exactly one of --script PATH and --script-base64 TEXT");
        }
        if (b64 != null) {
            byte[] bytes;
            try {
                String clean = b64.replaceAll("\\s", "");
                bytes = clean.indexOf('-') >= 0 || clean.indexOf('_') >= 0
                        ? Base64.getUrlDecoder().decode(clean)
                        : Base64.getDecoder().decode(clean);
            } catch (IllegalArgumentException e) {
                throw error("--script-base64 is not valid base64: " + e.getMessage());
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
        String p = path.startsWith("file://") ? path.substring(7)
                : path.startsWith("file:") ? path.substring(5) : path;
        try {
            return new String(Files.readAllBytes(Paths.get(p)), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw error("cannot read --script " + path + ": " + e);
        }
    }

    /** Offline check: prints one line per statement, or the error; exit 1 on error. */
    public static void main(String[] argv) throws Exception {
        try {
            SqlScript script = parse(readScript(argv));
            for (Statement s : script.statements) {
                System.out.println(s.number + "\t" + s.line + "\t" + s.kind + "\t" + s.firstLine());
                for (Statement c : s.children) {
                    System.out.println(c.number + "\t" + c.line + "\t  " + c.kind + "\t"
                            + c.firstLine());
                }
            }
            script.checkOffline();
        } catch (ScriptException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        }
    }
}
