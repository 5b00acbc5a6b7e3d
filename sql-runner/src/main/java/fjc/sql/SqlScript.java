package fjc.sql;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Flink SQL script split into statements and classified, with no Flink dependency (the offline
 * half of the runner; {@code java -cp fjc-sql-runner.jar fjc.sql.SqlScript --script F} checks a
 * script without a cluster).
 *
 * <p>Splitting: {@code ;} ends a statement except inside '...' strings (with '' escapes),
 * "..." and `...` quoted identifiers, {@code --} line comments and {@code /* *&#47;} block
 * comments. An {@code EXECUTE STATEMENT SET BEGIN ... END} block is one statement: inside it only
 * a {@code ;} right after the word END ends it.
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

    // ---- splitting --------------------------------------------------------------------------

    /** Parses and classifies a script; throws ScriptException for what is wrong offline. */
    public static SqlScript parse(String script) {
        List<Statement> out = new ArrayList<>();
        split(script, 0, script.length(), out, true);
        if (out.isEmpty()) {
            throw error("the script is empty: no SQL statement to run");
        }
        return new SqlScript(out);
    }

    /**
     * Splits script[from, to) into statements appended to out. topLevel: numbering continues
     * from out's size and EXECUTE STATEMENT SET blocks are recognised.
     */
    private static void split(String s, int from, int to, List<Statement> out, boolean topLevel) {
        int[] lineStarts = lineStarts(s);
        int i = from;
        int start = -1; // first significant character of the current statement
        StringBuilder shape = new StringBuilder(); // comments blanked, literals emptied
        StringBuilder clean = new StringBuilder(); // comments blanked
        List<String> leadWords = new ArrayList<>();
        String lastWord = null;
        while (i < to) {
            char c = s.charAt(i);
            char next = i + 1 < to ? s.charAt(i + 1) : '\0';
            if (c == '-' && next == '-') {
                int e = s.indexOf('\n', i);
                e = e < 0 || e > to ? to : e;
                blank(shape, clean, start);
                i = e;
                continue;
            }
            if (c == '/' && next == '*') {
                int e = s.indexOf("*/", i + 2);
                if (e < 0 || e + 2 > to) {
                    throw error(where(out, lineStarts, start, i)
                            + ": unterminated /* comment at line " + lineOf(lineStarts, i)
                            + " (no closing */)");
                }
                // Hints (/*+ ... */) belong to the statement; other comments are blank space.
                if (i + 2 < to && s.charAt(i + 2) == '+' && start >= 0) {
                    shape.append(s, i, e + 2);
                    clean.append(s, i, e + 2);
                } else {
                    blank(shape, clean, start);
                }
                i = e + 2;
                continue;
            }
            if (c == '\'' || c == '"' || c == '`') {
                int e = i + 1;
                while (true) {
                    if (e >= to) {
                        throw error(where(out, lineStarts, start, i) + ": unterminated "
                                + (c == '\'' ? "string literal" : "quoted identifier")
                                + " at line " + lineOf(lineStarts, i) + " (no closing " + c
                                + ")");
                    }
                    if (s.charAt(e) == c) {
                        if (e + 1 < to && s.charAt(e + 1) == c) {
                            e += 2;
                            continue;
                        }
                        break;
                    }
                    e++;
                }
                if (start < 0) {
                    start = i;
                }
                if (c == '\'') {
                    shape.append("''");
                } else {
                    shape.append(s, i, e + 1);
                }
                clean.append(s, i, e + 1);
                lastWord = null;
                i = e + 1;
                continue;
            }
            if (c == ';') {
                boolean inBlock = topLevel && isBlockStart(leadWords);
                if (inBlock && !"END".equals(lastWord)) {
                    shape.append(c);
                    clean.append(c);
                    lastWord = null;
                    i++;
                    continue;
                }
                if (start >= 0) {
                    out.add(make(s, lineStarts, out.size() + 1, start, i, shape.toString(),
                            clean.toString(), topLevel));
                }
                start = -1;
                shape.setLength(0);
                clean.setLength(0);
                leadWords.clear();
                lastWord = null;
                i++;
                continue;
            }
            if (Character.isLetterOrDigit(c) || c == '_' || c == '$') {
                int e = i;
                while (e < to && (Character.isLetterOrDigit(s.charAt(e)) || s.charAt(e) == '_'
                        || s.charAt(e) == '$')) {
                    e++;
                }
                if (start < 0) {
                    start = i;
                }
                String w = s.substring(i, e).toUpperCase(Locale.ROOT);
                if (leadWords.size() < 4) {
                    leadWords.add(w);
                }
                lastWord = w;
                shape.append(s, i, e);
                clean.append(s, i, e);
                i = e;
                continue;
            }
            if (!Character.isWhitespace(c)) {
                if (start < 0) {
                    start = i;
                }
                lastWord = null;
            }
            if (start >= 0) {
                shape.append(c);
                clean.append(c);
            }
            i++;
        }
        if (start >= 0) {
            if (topLevel && isBlockStart(leadWords) && !"END".equals(lastWord)) {
                throw error("statement " + (out.size() + 1) + " (line "
                        + lineOf(lineStarts, start) + "): EXECUTE STATEMENT SET BEGIN has no END");
            }
            out.add(make(s, lineStarts, out.size() + 1, start, to, shape.toString(),
                    clean.toString(), topLevel));
        }
    }

    /** "statement N (line L)" for the statement being split (starting at start, or at i). */
    private static String where(List<Statement> out, int[] lineStarts, int start, int i) {
        return "statement " + (out.size() + 1) + " (line "
                + lineOf(lineStarts, start >= 0 ? start : i) + ")";
    }

    private static void blank(StringBuilder shape, StringBuilder clean, int start) {
        if (start >= 0) {
            shape.append(' ');
            clean.append(' ');
        }
    }

    private static boolean isBlockStart(List<String> w) {
        return w.size() >= 4 && w.get(0).equals("EXECUTE") && w.get(1).equals("STATEMENT")
                && w.get(2).equals("SET") && w.get(3).equals("BEGIN");
    }

    private static int[] lineStarts(String s) {
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                starts.add(i + 1);
            }
        }
        int[] a = new int[starts.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = starts.get(i);
        }
        return a;
    }

    private static int lineOf(int[] lineStarts, int offset) {
        int lo = 0;
        int hi = lineStarts.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (lineStarts[mid] <= offset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo + 1;
    }

    // ---- classification ---------------------------------------------------------------------

    private static final Pattern WORDS = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*");
    private static final Pattern SET_KV = Pattern.compile(
            "(?is)^SET\\s+('(?:[^']|'')*'|[^\\s=']+)\\s*=\\s*('(?:[^']|'')*'|[^\\s']+)\\s*$");
    private static final Pattern CTAS = Pattern.compile(
            "(?is)^(CREATE\\s+(OR\\s+REPLACE\\s+)?(TEMPORARY\\s+)?TABLE|REPLACE\\s+TABLE)\\b.*"
                    + "\\bAS\\s*\\(?\\s*(SELECT|WITH|VALUES)\\b.*");
    private static final Pattern BLOCK = Pattern.compile(
            "(?is)^\\s*EXECUTE\\s+STATEMENT\\s+SET\\s+BEGIN\\b(.*)\\bEND\\s*$");

    private static Statement make(String s, int[] lineStarts, int number, int start, int end,
            String shape, String clean, boolean topLevel) {
        String text = s.substring(start, end).stripTrailing();
        int line = lineOf(lineStarts, start);
        int column = start - lineStarts[line - 1] + 1;
        String sh = shape.strip();
        List<String> w = new ArrayList<>();
        Matcher m = WORDS.matcher(sh);
        while (w.size() < 4 && m.find()) {
            w.add(m.group().toUpperCase(Locale.ROOT));
        }
        String w0 = w.isEmpty() ? "" : w.get(0);
        String w1 = w.size() > 1 ? w.get(1) : "";
        String w2 = w.size() > 2 ? w.get(2) : "";

        Kind kind;
        String refusal = null;
        String key = null;
        String value = null;
        List<Statement> children = Collections.emptyList();
        switch (w0) {
            case "SET":
                if (w.size() == 1 && sh.equalsIgnoreCase("SET")) {
                    kind = Kind.REFUSED;
                    refusal = clientOnly("SET without a key");
                    break;
                }
                Matcher kv = SET_KV.matcher(clean.strip());
                if (!kv.matches()) {
                    kind = Kind.REFUSED;
                    refusal = "SET must have the form SET 'key' = 'value'";
                    break;
                }
                kind = Kind.SET;
                key = unquote(kv.group(1));
                value = unquote(kv.group(2));
                break;
            case "CREATE":
            case "REPLACE":
                if (CTAS.matcher(sh).matches()) {
                    kind = Kind.REFUSED;
                    refusal = "CREATE TABLE ... AS SELECT is not supported: use CREATE TABLE and "
                            + "INSERT INTO";
                } else if (w0.equals("REPLACE")) {
                    kind = Kind.REFUSED;
                    refusal = "REPLACE TABLE is not supported";
                } else {
                    kind = Kind.DDL;
                }
                break;
            case "DROP":
            case "ALTER":
            case "USE":
            case "LOAD":
            case "UNLOAD":
                kind = Kind.DDL;
                break;
            case "INSERT":
                kind = Kind.INSERT;
                break;
            case "EXECUTE":
                if (w1.equals("INSERT")) {
                    kind = Kind.INSERT;
                    // "EXECUTE INSERT ..." is "INSERT ..."; spaces keep Flink's positions right.
                    int at = indexOfWord(text, "EXECUTE");
                    text = text.substring(0, at) + "       " + text.substring(at + 7);
                } else if (w1.equals("STATEMENT") && w2.equals("SET") && topLevel) {
                    kind = Kind.STATEMENT_SET;
                    children = blockChildren(s, start, end, number, line);
                } else if (w1.equals("PLAN")) {
                    kind = Kind.REFUSED;
                    refusal = "EXECUTE PLAN is not supported by fjc-sql";
                } else {
                    kind = Kind.UNKNOWN;
                }
                break;
            case "BEGIN":
                if (w1.equals("STATEMENT") && w2.equals("SET") && w.size() == 3) {
                    kind = Kind.BEGIN_SET;
                } else {
                    kind = Kind.UNKNOWN;
                }
                break;
            case "END":
                kind = w.size() == 1 ? Kind.END_SET : Kind.UNKNOWN;
                break;
            case "SELECT":
            case "WITH":
            case "VALUES":
            case "TABLE":
                kind = Kind.REFUSED;
                refusal = "a query without INSERT INTO: a job script must write its results "
                        + "with INSERT INTO";
                break;
            case "SHOW":
            case "DESCRIBE":
            case "DESC":
            case "EXPLAIN":
            case "RESET":
            case "QUIT":
            case "EXIT":
            case "HELP":
            case "CLEAR":
            case "SOURCE":
                kind = Kind.REFUSED;
                refusal = clientOnly(w0);
                break;
            case "ADD":
            case "REMOVE":
                kind = Kind.REFUSED;
                refusal = clientOnly(w1.isEmpty() ? w0 : w0 + " " + w1);
                break;
            case "STOP":
                kind = Kind.REFUSED;
                refusal = clientOnly("STOP JOB");
                break;
            case "DELETE":
            case "UPDATE":
            case "TRUNCATE":
            case "ANALYZE":
            case "CALL":
            case "COMPILE":
                kind = Kind.REFUSED;
                refusal = w0 + " is not supported by fjc-sql";
                break;
            default:
                if (sh.startsWith("(")) {
                    kind = Kind.REFUSED;
                    refusal = "a query without INSERT INTO: a job script must write its results "
                            + "with INSERT INTO";
                } else {
                    kind = Kind.UNKNOWN;
                }
        }
        return new Statement(number, line, column, text, sh, kind, refusal, children, key, value);
    }

    private static String clientOnly(String what) {
        return what + " is a SQL client command, not allowed in a job script";
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && v.startsWith("'") && v.endsWith("'")) {
            return v.substring(1, v.length() - 1).replace("''", "'");
        }
        return v;
    }

    private static int indexOfWord(String text, String word) {
        Matcher m = Pattern.compile("(?i)\\b" + word + "\\b").matcher(text);
        return m.find() ? m.start() : 0;
    }

    /** The INSERTs between BEGIN and END of an EXECUTE STATEMENT SET in s[start, end). */
    private static List<Statement> blockChildren(String s, int start, int end, int number,
            int line) {
        String text = s.substring(start, end);
        // Find BEGIN and the last END as words outside strings/comments: walk the shape-equal
        // positions by masking strings and comments first.
        String masked = mask(text);
        Matcher mb = Pattern.compile("(?i)\\bBEGIN\\b").matcher(masked);
        Matcher me = Pattern.compile("(?i)\\bEND\\s*$").matcher(masked.stripTrailing());
        if (!mb.find() || !me.find()) {
            throw error("statement " + number + " (line " + line
                    + "): EXECUTE STATEMENT SET must be EXECUTE STATEMENT SET BEGIN ... END");
        }
        List<Statement> inner = new ArrayList<>();
        split(s, start + mb.end(), start + me.start(), inner, false);
        List<Statement> renumbered = new ArrayList<>();
        for (Statement c : inner) {
            // Inner statements carry the block's number; their own line locates them.
            renumbered.add(new Statement(number, c.line, c.column, c.text, c.shape, c.kind,
                    c.refusal, c.children, c.setKey, c.setValue));
        }
        return renumbered;
    }

    /** Same length as text; string literals, quoted identifiers and comments become spaces. */
    private static String mask(String t) {
        StringBuilder b = new StringBuilder(t);
        int i = 0;
        int n = t.length();
        while (i < n) {
            char c = t.charAt(i);
            char next = i + 1 < n ? t.charAt(i + 1) : '\0';
            int e;
            if (c == '-' && next == '-') {
                e = t.indexOf('\n', i);
                e = e < 0 ? n : e;
            } else if (c == '/' && next == '*') {
                e = t.indexOf("*/", i + 2);
                e = e < 0 ? n : e + 2;
            } else if (c == '\'' || c == '"' || c == '`') {
                e = i + 1;
                while (e < n) {
                    if (t.charAt(e) == c) {
                        if (e + 1 < n && t.charAt(e + 1) == c) {
                            e += 2;
                            continue;
                        }
                        e++;
                        break;
                    }
                    e++;
                }
            } else {
                i++;
                continue;
            }
            for (int k = i; k < e; k++) {
                if (b.charAt(k) != '\n') {
                    b.setCharAt(k, ' ');
                }
            }
            i = e;
        }
        return b.toString();
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
