package fjc.testjobs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Bounded job in BATCH mode: sums 1..N.
 *
 * <p>Args: --n N (default 1000), --out FILE (the sum as one line, written atomically),
 * --sleep-ms MS (sleep on the first element: a long-running run), --fail (throws).
 */
public final class BatchSum {
    private BatchSum() {}

    public static void main(String[] argv) throws Exception {
        Args args = Args.parse(argv);
        long n = args.getLong("n", 1000);
        String out = args.get("out", "");
        long sleepMs = args.getLong("sleep-ms", 0);
        boolean fail = args.flag("fail");
        if (n < 1) {
            throw new IllegalArgumentException("--n must be >= 1");
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);

        env.fromSequence(1, n)
                .uid("source")
                .name("sequence")
                .map(new SlowFirst(sleepMs, fail))
                .uid("map")
                .name("map")
                .keyBy(value -> 0, Types.INT)
                .reduce(Long::sum)
                .uid("sum")
                .name("sum")
                .process(new ResultWriter(out))
                .uid("sink")
                .name("sink")
                .setParallelism(1);

        // No job name on purpose: "pipeline.name" from the submission names the job.
        env.execute();
    }

    /** Identity map that sleeps on (or fails at) the first element of the sequence. */
    static final class SlowFirst implements MapFunction<Long, Long> {
        private final long sleepMs;
        private final boolean fail;

        SlowFirst(long sleepMs, boolean fail) {
            this.sleepMs = sleepMs;
            this.fail = fail;
        }

        @Override
        public Long map(Long value) throws Exception {
            if (value == 1L) {
                if (sleepMs > 0) {
                    Thread.sleep(sleepMs);
                }
                if (fail) {
                    throw new RuntimeException("injected batch failure");
                }
            }
            return value;
        }
    }

    /** The sink: writes the sum to FILE (via a temp file and a rename), or prints it. */
    static final class ResultWriter extends ProcessFunction<Long, Void> {
        private final String out;

        ResultWriter(String out) {
            this.out = out;
        }

        @Override
        public void processElement(Long sum, Context ctx, Collector<Void> collector)
                throws IOException {
            if (out.isEmpty()) {
                System.out.println("sum " + sum);
                return;
            }
            Path target = Paths.get(out).toAbsolutePath();
            Path parent = target.getParent();
            Files.createDirectories(parent);
            Path tmp = Files.createTempFile(parent, ".batch-sum-", ".tmp");
            Files.write(tmp, (sum + "\n").getBytes(StandardCharsets.UTF_8));
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
