package fjc.python;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.flink.client.python.PythonDriver;

/**
 * Runs a PyFlink program whose bytes come in the arguments, through Flink's {@link PythonDriver};
 * submitted like any jar (REST /jars/:id/run), so the controller verifies the bytes it sends and
 * the JobManager needs no access to where they are kept.
 *
 * <p>Args: {@code --file NAME --base64 BYTES [--module MODULE] [-- PROGRAM ARGS...]}. A {@code .py}
 * file runs as {@code -py}; a {@code .zip} is put on the Python path ({@code -pyfs}) and {@code
 * MODULE} runs ({@code -pym}). The files are written to a fresh temporary directory of the
 * JobManager.
 *
 * <p>A failing program is reported as one line, {@code fjc-python: <Python's last traceback line>}
 * (e.g. {@code ModuleNotFoundError: No module named 'x'}), printed to stderr and thrown, so the REST
 * run fails with it. Without a usable Python ({@code python.client.executable}) the line says so.
 */
public final class PythonRunner {
    private PythonRunner() {}

    /** Serializes Python runs within the JobManager (see {@link ContextKeeper}). */
    private static final String RUN_LOCK = "fjc.python.PythonRunner#run".intern();

    /** Flink's refusal of a job id already taken, wherever the output names it. */
    private static final Pattern DUPLICATE = Pattern.compile(
            "((?:[\\w.]+\\.)?Duplicate(?:Application|Job)SubmissionException:[^\\r\\n]*)");

    /** Python's final traceback line: {@code SomeError: message} (or a bare exception name). */
    private static final Pattern FINAL_LINE =
            Pattern.compile("^(?:[A-Za-z_][\\w.]*\\.)?[A-Z]\\w*(?:Error|Exception|Exit|Interrupt)\\b.*");

    public static void main(String[] argv) throws Throwable {
        Args args;
        try {
            args = Args.parse(argv);
        } catch (IllegalArgumentException e) {
            throw fail(e.getMessage());
        }
        Path dir = Files.createTempDirectory("fjc-python-");
        Path file = dir.resolve(args.name);
        Files.write(file, args.bytes);
        List<String> driver = new ArrayList<>();
        if (args.module != null) {
            driver.addAll(Arrays.asList("-pyfs", file.toString(), "-pym", args.module));
        } else {
            driver.addAll(Arrays.asList("-py", file.toString()));
        }
        driver.addAll(args.program);

        // One Python run at a time in this JobManager: an interned string is one object
        // for the whole JVM, shared by every upload's class loader.
        synchronized (RUN_LOCK) {
            // PythonDriver copies the Python process's output to System.out from this
            // thread: record this thread's lines (other threads' output passes through).
            PrintStream original = System.out;
            ThreadLines lines = new ThreadLines(original, Thread.currentThread());
            System.setOut(new PrintStream(lines, true, StandardCharsets.UTF_8));
            try (ContextKeeper context = ContextKeeper.start()) {
                PythonDriver.main(driver.toArray(new String[0]));
            } catch (Throwable e) {
                String output = lines.text();
                String duplicate = duplicateSubmission(output);
                if (duplicate != null) {
                    // The job id is taken: an earlier run of this submission (one whose
                    // answer the controller never got) submitted the job. Named as Flink
                    // names it, so the controller adopts that job instead of failing.
                    throw fail(duplicate);
                }
                String line = lastTracebackLine(output);
                if (line == null) {
                    line = explain(e);
                }
                throw fail(line);
            } finally {
                System.setOut(original);
                deleteQuietly(dir);
            }
        }
    }

    private static RuntimeException fail(String message) {
        String line = "fjc-python: " + message.replace('\n', ' ');
        System.err.println(line);
        return new RuntimeException(line);
    }

    /**
     * Flink's refusal of a job id already taken ({@code DuplicateApplicationSubmissionException},
     * or {@code DuplicateJobSubmissionException} before Flink 2.x), as the program's output
     * names it, or null.
     */
    static String duplicateSubmission(String output) {
        Matcher m = DUPLICATE.matcher(output);
        return m.find() ? m.group(1).trim() : null;
    }

    /** The last line of Python's traceback in {@code output}, or null. */
    static String lastTracebackLine(String output) {
        String found = null;
        for (String line : output.split("\r?\n")) {
            String trimmed = line.trim();
            if (FINAL_LINE.matcher(trimmed).matches()) {
                found = trimmed;
            }
        }
        return found;
    }

    /** A failure with no traceback: a missing Python named as such, else the innermost cause. */
    static String explain(Throwable e) {
        Pattern cannotRun = Pattern.compile("Cannot run program \"([^\"]*)\"");
        Throwable inner = e;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            Matcher m = cannotRun.matcher(String.valueOf(t.getMessage()));
            if (m.find()) {
                return "the cluster cannot start Python (" + m.group(1) + "): set"
                        + " python.client.executable and python.executable to a Python with"
                        + " apache-flink installed";
            }
            inner = t;
        }
        return inner.getClass().getSimpleName() + ": " + inner.getMessage();
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A temporary directory left behind is harmless.
        }
    }

    /** The runner's arguments. */
    static final class Args {
        String name;
        byte[] bytes;
        String module;
        final List<String> program = new ArrayList<>();

        static Args parse(String[] argv) {
            Args a = new Args();
            int i = 0;
            for (; i < argv.length; i++) {
                String flag = argv[i];
                if (flag.equals("--")) {
                    i++;
                    break;
                }
                if (i + 1 >= argv.length) {
                    throw new IllegalArgumentException(flag + " needs a value");
                }
                String value = argv[++i];
                switch (flag) {
                    case "--file":
                        a.name = value;
                        break;
                    case "--base64":
                        try {
                            a.bytes = Base64.getDecoder().decode(value);
                        } catch (IllegalArgumentException e) {
                            throw new IllegalArgumentException("--base64: " + e.getMessage());
                        }
                        break;
                    case "--module":
                        a.module = value;
                        break;
                    default:
                        throw new IllegalArgumentException("unknown argument " + flag);
                }
            }
            a.program.addAll(Arrays.asList(argv).subList(i, argv.length));
            if (a.name == null || a.bytes == null) {
                throw new IllegalArgumentException("usage: --file NAME --base64 BYTES"
                        + " [--module MODULE] [-- PROGRAM ARGS...]");
            }
            if (a.name.contains("/") || a.name.contains("\\") || a.name.startsWith(".")) {
                throw new IllegalArgumentException("--file must be a plain file name: " + a.name);
            }
            if (a.name.endsWith(".zip") != (a.module != null)) {
                throw new IllegalArgumentException("a .zip needs --module, and only a .zip");
            }
            return a;
        }
    }

    /** Passes everything through, and records whole lines written by one thread. */
    static final class ThreadLines extends OutputStream {
        private final PrintStream through;
        private final Thread owner;
        private final ByteArrayOutputStream recorded = new ByteArrayOutputStream();
        private static final int MAX_RECORDED = 1 << 20;

        ThreadLines(PrintStream through, Thread owner) {
            this.through = through;
            this.owner = owner;
        }

        @Override
        public void write(int b) {
            through.write(b);
            if (Thread.currentThread() == owner && recorded.size() < MAX_RECORDED) {
                recorded.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            through.write(b, off, len);
            if (Thread.currentThread() == owner && recorded.size() < MAX_RECORDED) {
                recorded.write(b, off, len);
            }
        }

        @Override
        public void flush() {
            through.flush();
        }

        String text() {
            return recorded.toString(StandardCharsets.UTF_8);
        }
    }
}
