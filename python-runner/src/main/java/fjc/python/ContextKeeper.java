package fjc.python;

import java.lang.reflect.Field;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironmentFactory;

/**
 * Keeps this submission's execution context where a Python program finds it.
 *
 * <p>A REST jar run installs its context (which submits the job under the requested id to the
 * session) for its own thread and as a JVM-wide static. A Java program reads the thread's; a
 * Python program builds its job on the Python driver's gateway threads, which read only the
 * static. Any other jar run ending on the same JobManager clears that static, and a Python program
 * that finds it empty runs its job in a mini cluster inside the JobManager instead. While the
 * program runs, a daemon thread puts this run's context back whenever it was replaced (every 2
 * ms). Python runs are serialized within the JobManager ({@link PythonRunner}), so no other run
 * needs the static meanwhile, and Java programs never read it.
 */
final class ContextKeeper implements AutoCloseable {
    private final Thread thread;
    private volatile boolean stopped;

    private ContextKeeper(Thread thread) {
        this.thread = thread;
    }

    /** Starts keeping the calling thread's context; a no-op when there is none to keep. */
    @SuppressWarnings("unchecked")
    static ContextKeeper start() {
        final Field staticField;
        final StreamExecutionEnvironmentFactory mine;
        try {
            Field local =
                    StreamExecutionEnvironment.class.getDeclaredField(
                            "threadLocalContextEnvironmentFactory");
            local.setAccessible(true);
            mine = ((ThreadLocal<StreamExecutionEnvironmentFactory>) local.get(null)).get();
            staticField =
                    StreamExecutionEnvironment.class.getDeclaredField("contextEnvironmentFactory");
            staticField.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            System.err.println("fjc-python: cannot keep the submission context: " + e);
            return new ContextKeeper(null);
        }
        if (mine == null) {
            return new ContextKeeper(null);
        }
        ContextKeeper[] self = new ContextKeeper[1];
        Thread t =
                new Thread(
                        () -> {
                            while (!self[0].stopped) {
                                try {
                                    if (staticField.get(null) != mine) {
                                        staticField.set(null, mine);
                                    }
                                    Thread.sleep(2);
                                } catch (InterruptedException e) {
                                    return;
                                } catch (ReflectiveOperationException e) {
                                    return;
                                }
                            }
                        },
                        "fjc-python-context");
        t.setDaemon(true);
        self[0] = new ContextKeeper(t);
        try {
            staticField.set(null, mine);
        } catch (ReflectiveOperationException e) {
            return self[0];
        }
        t.start();
        return self[0];
    }

    @Override
    public void close() {
        stopped = true;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
