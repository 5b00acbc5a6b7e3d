package fjc.sql;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import fjc.sql.SqlScript.Kind;
import fjc.sql.SqlScript.Statement;

/**
 * What a statement does, decided from its leading words (comments blanked, literals emptied):
 * its {@link Kind}, why a refused one is refused, a SET's key and value, and the INSERTs of a
 * statement set.
 */
final class Classifier {
    private Classifier() {}

    private static final Pattern WORDS = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*");
    private static final Pattern SET_KV = Pattern.compile(
            "(?is)^SET\\s+('(?:[^']|'')*'|[^\\s=']+)\\s*=\\s*('(?:[^']|'')*'|[^\\s']+)\\s*$");
    private static final Pattern CTAS = Pattern.compile(
            "(?is)^(CREATE\\s+(OR\\s+REPLACE\\s+)?(TEMPORARY\\s+)?TABLE|REPLACE\\s+TABLE)\\b.*"
                    + "\\bAS\\s*\\(?\\s*(SELECT|WITH|VALUES)\\b.*");
    private static final Pattern BLOCK = Pattern.compile(
            "(?is)^\\s*EXECUTE\\s+STATEMENT\\s+SET\\s+BEGIN\\b(.*)\\bEND\\s*$");

    static Statement make(String s, int[] lineStarts, int number, int start, int end,
            String shape, String clean, boolean topLevel) {
        String text = s.substring(start, end).stripTrailing();
        int line = Splitter.lineOf(lineStarts, start);
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
            throw SqlScript.error("statement " + number + " (line " + line
                    + "): EXECUTE STATEMENT SET must be EXECUTE STATEMENT SET BEGIN ... END");
        }
        List<Statement> inner = new ArrayList<>();
        Splitter.split(s, start + mb.end(), start + me.start(), inner, false);
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
}
