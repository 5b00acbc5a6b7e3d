package fjc.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import fjc.sql.SqlScript.Statement;

/**
 * Splitting a script into statements: {@code ;} ends a statement except inside '...' strings
 * (with '' escapes), "..." and `...` quoted identifiers, {@code --} line comments and {@code /*
 * *&#47;} block comments; an {@code EXECUTE STATEMENT SET BEGIN ... END} block is one statement.
 * Each statement is classified by {@link Classifier} as it is found.
 */
final class Splitter {
    private Splitter() {}

    /**
     * Splits script[from, to) into statements appended to out. topLevel: numbering continues
     * from out's size and EXECUTE STATEMENT SET blocks are recognised.
     */
    static void split(String s, int from, int to, List<Statement> out, boolean topLevel) {
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
                    throw SqlScript.error(where(out, lineStarts, start, i)
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
                        throw SqlScript.error(where(out, lineStarts, start, i) + ": unterminated "
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
                    out.add(Classifier.make(s, lineStarts, out.size() + 1, start, i, shape.toString(),
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
                throw SqlScript.error("statement " + (out.size() + 1) + " (line "
                        + lineOf(lineStarts, start) + "): EXECUTE STATEMENT SET BEGIN has no END");
            }
            out.add(Classifier.make(s, lineStarts, out.size() + 1, start, to, shape.toString(),
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

    static int[] lineStarts(String s) {
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

    static int lineOf(int[] lineStarts, int offset) {
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
}
