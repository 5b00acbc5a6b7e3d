package fjc.testjobs;

import java.io.File;
import java.io.FileWriter;
import java.io.IOException;
import java.io.Writer;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Endless job with a keyed counter, for savepoint/restore and failure tests.
 *
 * <p>Args: --out-dir DIR (required), --rate N events/s (default 20), --keys K (default 4),
 * --fail-after-events N (optional: fail once a key's count passes N), --counter-uid UID (default
 * "counter"; another uid makes a savepoint of the default one incompatible: its state has no
 * operator to go to), --fail-once-marker PATH (optional: fail when the file PATH exists, deleting
 * it first, so exactly one failure follows each creation of the file), --snapshot-delay-ms MS
 * (optional: each checkpoint or savepoint takes at least MS, the sink's snapshot sleeping that
 * long, so a savepoint is surely still in progress when first asked about), --sink-delay-ms MS
 * (optional: the sink takes MS per line, a slow operator that backpressures the ones before it
 * once the rate is more than it can take).
 *
 * <p>Each sink subtask appends "epochMillis key count" lines to DIR/counter-SUBTASK.log. After a
 * stop-with-savepoint and a restore from it, each key's count continues where it stopped.
 */
public final class StreamCounter {
    private StreamCounter() {}

    public static void main(String[] argv) throws Exception {
        Args args = Args.parse(argv);
        String outDir = args.required("out-dir");
        long rate = args.getLong("rate", 20);
        long keys = args.getLong("keys", 4);
        long failAfter = args.getLong("fail-after-events", -1);
        String counterUid = args.get("counter-uid", "counter");
        String failMarker = args.get("fail-once-marker", "");
        long snapshotDelay = args.getLong("snapshot-delay-ms", 0);
        long sinkDelay = args.getLong("sink-delay-ms", 0);
        if (rate <= 0 || keys <= 0) {
            throw new IllegalArgumentException("--rate and --keys must be positive");
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();

        DataGeneratorSource<Long> source =
                new DataGeneratorSource<>(
                        index -> index,
                        Long.MAX_VALUE,
                        RateLimiterStrategy.perSecond(rate),
                        Types.LONG);

        env.fromSource(source, WatermarkStrategy.noWatermarks(), "sequence")
                .uid("source")
                .name("sequence")
                .keyBy(value -> value % keys, Types.LONG)
                .process(new Counter(failAfter, failMarker))
                .uid(counterUid)
                .name("counter")
                .process(new LineAppender(outDir, snapshotDelay, sinkDelay))
                .uid("sink")
                .name("sink");

        // No job name on purpose: "pipeline.name" from the submission names the job.
        env.execute();
    }

    /** Counts events per key in keyed state and emits "epochMillis key count". */
    static final class Counter extends KeyedProcessFunction<Long, Long, String> {
        private final long failAfter;
        private final String failMarker;
        private transient ValueState<Long> count;

        Counter(long failAfter, String failMarker) {
            this.failAfter = failAfter;
            this.failMarker = failMarker;
        }

        @Override
        public void open(OpenContext openContext) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
        }

        @Override
        public void processElement(Long value, Context ctx, Collector<String> out)
                throws Exception {
            Long current = count.value();
            long next = (current == null ? 0L : current) + 1;
            if (failAfter >= 0 && next > failAfter) {
                throw new RuntimeException("injected failure after " + failAfter + " events");
            }
            if (!failMarker.isEmpty() && new File(failMarker).delete()) {
                throw new RuntimeException("injected failure (marker " + failMarker + ")");
            }
            count.update(next);
            out.collect(System.currentTimeMillis() + " " + ctx.getCurrentKey() + " " + next);
        }
    }

    /**
     * The sink: appends each line to OUT_DIR/counter-SUBTASK.log and flushes it; its snapshot
     * takes at least snapshotDelay ms.
     */
    static final class LineAppender extends ProcessFunction<String, Void>
            implements CheckpointedFunction {
        private final String outDir;
        private final long snapshotDelay;
        private final long sinkDelay;
        private transient Writer writer;

        LineAppender(String outDir, long snapshotDelay, long sinkDelay) {
            this.outDir = outDir;
            this.snapshotDelay = snapshotDelay;
            this.sinkDelay = sinkDelay;
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) throws Exception {
            if (snapshotDelay > 0) {
                Thread.sleep(snapshotDelay);
            }
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {
            // No state: the lines are the output.
        }

        @Override
        public void open(OpenContext openContext) throws IOException {
            File dir = new File(outDir);
            if (!dir.isDirectory() && !dir.mkdirs() && !dir.isDirectory()) {
                throw new IOException("cannot create " + dir);
            }
            int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
            writer = new FileWriter(new File(dir, "counter-" + subtask + ".log"), true);
        }

        @Override
        public void processElement(String line, Context ctx, Collector<Void> out)
                throws IOException, InterruptedException {
            if (sinkDelay > 0) {
                Thread.sleep(sinkDelay);
            }
            writer.write(line);
            writer.write('\n');
            writer.flush();
        }

        @Override
        public void close() throws IOException {
            if (writer != null) {
                writer.close();
            }
        }
    }
}
