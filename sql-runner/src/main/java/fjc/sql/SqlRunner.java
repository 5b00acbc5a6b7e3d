package fjc.sql;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.internal.TableEnvironmentInternal;
import org.apache.flink.table.operations.Operation;

import fjc.sql.SqlScript.Kind;
import fjc.sql.SqlScript.ScriptException;
import fjc.sql.SqlScript.Statement;

/**
 * Runs a Flink SQL script as ONE Flink job through a {@link TableEnvironment}; submitted like any
 * jar (REST /jars/:id/run).
 *
 * <p>Args: {@code --script PATH} (readable by the JobManager) or {@code --script-base64 TEXT}.
 *
 * <p>SET statements go to the table config (those before the first other statement also choose
 * the planner, e.g. {@code execution.runtime-mode}); CREATE/DROP/ALTER/USE run at once; all INSERTs
 * (top level, EXECUTE STATEMENT SET, BEGIN STATEMENT SET ... END) are gathered into one statement
 * set executed at the end. Client-only commands are refused. Any error is printed as one line
 * {@code fjc-sql: statement N (line L): <message>} to stderr and thrown with that message, so the
 * REST run fails with it.
 */
public final class SqlRunner {
    private SqlRunner() {}

    public static void main(String[] argv) {
        try {
            run(argv);
        } catch (ScriptException e) {
            System.err.println(e.getMessage());
            throw e;
        } catch (Exception e) {
            ScriptException se = SqlScript.error(flinkMessage(e));
            System.err.println(se.getMessage());
            throw se;
        }
    }

    static void run(String[] argv) throws Exception {
        SqlScript script = SqlScript.parse(SqlScript.readScript(argv));
        script.checkOffline();

        // What the submission set (REST flinkConfiguration, jobId, cluster config).
        ReadableConfig submitted =
                StreamExecutionEnvironment.getExecutionEnvironment().getConfiguration();
        String submittedName = submitted.getOptional(PipelineOptions.NAME).orElse(null);

        // Leading SETs also decide the planner (streaming or batch): the TableEnvironment is
        // created after them.
        Map<String, String> leading = new HashMap<>();
        submitted.getOptional(ExecutionOptions.RUNTIME_MODE)
                .ifPresent(m -> leading.put(ExecutionOptions.RUNTIME_MODE.key(), m.name()));
        int first = 0;
        while (first < script.statements.size()
                && script.statements.get(first).kind == Kind.SET) {
            Statement s = script.statements.get(first++);
            if (!overridden(s, submittedName)) {
                leading.put(s.setKey, s.setValue);
            }
        }
        EnvironmentSettings settings;
        RuntimeExecutionMode mode;
        TableEnvironment tEnv;
        try {
            settings = EnvironmentSettings.newInstance()
                    .withConfiguration(Configuration.fromMap(leading)).build();
            mode = settings.isStreamingMode()
                    ? RuntimeExecutionMode.STREAMING : RuntimeExecutionMode.BATCH;
            tEnv = TableEnvironment.create(settings);
        } catch (RuntimeException e) {
            // A bad value in the leading SETs (e.g. 'execution.runtime-mode' = 'bach').
            if (first == 0) {
                throw e;
            }
            throw SqlScript.error(script.statements.get(first - 1),
                    "the leading SET statements: " + flinkMessage(e));
        }

        StatementSet set = tEnv.createStatementSet();
        List<Statement> inserts = new ArrayList<>();
        for (Statement s : script.statements) {
            switch (s.kind) {
                case SET:
                    applySet(tEnv, s, mode, submittedName);
                    break;
                case DDL:
                    try {
                        tEnv.executeSql(s.positionedText());
                    } catch (RuntimeException e) {
                        throw SqlScript.error(s, flinkMessage(e));
                    }
                    break;
                case INSERT:
                    addInsert(set, s);
                    inserts.add(s);
                    break;
                case STATEMENT_SET:
                    for (Statement c : s.children) {
                        addInsert(set, c);
                        inserts.add(c);
                    }
                    break;
                case BEGIN_SET:
                case END_SET:
                    break; // the INSERTs between them join the one statement set
                case UNKNOWN:
                    List<Operation> ops;
                    try {
                        ops = ((TableEnvironmentInternal) tEnv).getParser()
                                .parse(s.positionedText());
                    } catch (RuntimeException e) {
                        throw SqlScript.error(s, flinkMessage(e));
                    }
                    String what = ops.isEmpty() ? "?" : ops.get(0).getClass().getSimpleName();
                    throw SqlScript.error(s, "statement not supported by fjc-sql (" + what
                            + "): " + s.firstLine());
                default:
                    throw SqlScript.error(s, s.refusal + ": " + s.firstLine());
            }
        }

        TableResult result;
        try {
            result = set.execute();
        } catch (RuntimeException e) {
            throw executeError(tEnv, inserts, e);
        }
        String jobId = result.getJobClient().map(c -> c.getJobID().toString()).orElse("?");
        System.out.println(SqlScript.PREFIX + "submitted job " + jobId + " ("
                + inserts.size() + " INSERT statement" + (inserts.size() == 1 ? "" : "s")
                + ", " + mode.name().toLowerCase() + ")");
    }

    private static void applySet(TableEnvironment tEnv, Statement s, RuntimeExecutionMode mode,
            String submittedName) {
        if (s.setKey.equals(ExecutionOptions.RUNTIME_MODE.key())
                && !s.setValue.equalsIgnoreCase(mode.name())) {
            throw SqlScript.error(s, "SET '" + s.setKey + "' must come before the first "
                    + "statement that is not a SET (the planner is " + mode.name().toLowerCase()
                    + " by then)");
        }
        if (overridden(s, submittedName)) {
            System.err.println(SqlScript.PREFIX + s.where() + ": ignored SET '"
                    + s.setKey + "': the submission names the job " + submittedName);
            return;
        }
        try {
            tEnv.getConfig().set(s.setKey, s.setValue);
        } catch (RuntimeException e) {
            throw SqlScript.error(s, flinkMessage(e));
        }
    }

    /** The controller names its jobs (pipeline.name = fjc:<job_id>): a script cannot rename. */
    private static boolean overridden(Statement s, String submittedName) {
        if (s.setKey.startsWith("$internal.")) {
            throw SqlScript.error(s, "SET '" + s.setKey + "': internal options belong to the "
                    + "submission, not to the script");
        }
        return s.setKey.equals(PipelineOptions.NAME.key()) && submittedName != null;
    }

    private static void addInsert(StatementSet set, Statement s) {
        try {
            set.addInsertSql(s.positionedText());
        } catch (RuntimeException e) {
            throw SqlScript.error(s, flinkMessage(e));
        }
    }

    /**
     * execute() plans all INSERTs together; to name the statement at fault, plan each INSERT on
     * its own. When each plans alone, the failure is the submission's.
     */
    private static ScriptException executeError(TableEnvironment tEnv, List<Statement> inserts,
            RuntimeException e) {
        if (inserts.size() > 1) {
            for (Statement s : inserts) {
                try {
                    tEnv.createStatementSet().addInsertSql(s.positionedText()).explain();
                } catch (RuntimeException each) {
                    return SqlScript.error(s, flinkMessage(each));
                }
            }
        } else if (inserts.size() == 1) {
            try {
                tEnv.createStatementSet().addInsertSql(inserts.get(0).positionedText())
                        .explain();
            } catch (RuntimeException each) {
                return SqlScript.error(inserts.get(0), flinkMessage(each));
            }
        }
        return SqlScript.error("submitting the job failed: " + flinkMessage(e));
    }

    /**
     * Flink's own message, first line; the deepest cause's first line is added when the top
     * message does not already hold it (e.g. "Could not execute CreateTable ...: Table ...
     * already exists", "Unable to create a sink for writing table '...'. Could not find any
     * factory for identifier 'x' ...").
     */
    private static final Pattern REPEATED_LEAD = Pattern.compile("^([^.]{4,}\\. )\\1+");

    static String flinkMessage(Throwable t) {
        // Flink repeats its lead sentence ("SQL validation failed. SQL validation failed. ...").
        String top = REPEATED_LEAD.matcher(SqlScript.oneLine(t.getMessage())).replaceFirst("$1");
        if (top.isEmpty()) {
            top = t.getClass().getName();
        }
        String deepest = null;
        int depth = 0;
        for (Throwable c = t.getCause(); c != null && depth < 20; c = c.getCause(), depth++) {
            String m = SqlScript.oneLine(c.getMessage());
            if (!m.isEmpty()) {
                deepest = m;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        if (deepest != null && !top.contains(deepest)) {
            return top + (top.endsWith(".") ? " " : ": ") + deepest;
        }
        return top;
    }
}
