package io.tsforge.jobs;

import io.tsforge.config.Config;
import io.tsforge.config.ConfigException;
import io.tsforge.config.ConfigKeys;
import io.tsforge.config.EvaluateConfig;
import io.tsforge.config.PrepareConfig;
import io.tsforge.config.ScoringConfig;
import io.tsforge.config.TrainConfig;
import io.tsforge.io.Storage;
import io.tsforge.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The command line of every job: {@code <job> --config FILE [--set key=value ...] [--master URL]}. It parses, builds
 * the validated job config (failing before Spark starts), runs the job and writes {@code _summary.json}; a failure
 * ends in one line saying what failed and where, and exit code 1 (2 for a usage or config error).
 */
public final class Main {

    /** What a job does once Spark is up. */
    interface SparkAction {
        void run(SparkSession spark, RunReport report) throws Exception;
    }

    /** A job bound to a validated config: where its summary goes, the session's time zone, and the work. */
    record Runner(String outputDir, String sessionTimeZone, SparkAction action) {
    }

    /** A job: its description, and how it validates a config into a {@link Runner} (before any Spark work). */
    record Job(String description, Function<Config, Runner> bind) {
    }

    static final Map<String, Job> JOBS = new LinkedHashMap<>();

    /** Flags without values given on the command line (e.g. {@code --resume}). */
    static final java.util.Set<String> flags = new java.util.HashSet<>();

    private static void register(String name, String description, Function<Config, Runner> bind) {
        JOBS.put(name, new Job(description, bind));
    }

    private static String zone(Config c) {
        return c.get(ConfigKeys.INPUT_TIMEZONE).getId();
    }

    static {
        register("prepare", "raw readings -> quarantine, resampled series, statistics, windows", c -> {
            PrepareConfig cfg = PrepareConfig.from(c);
            return new Runner(cfg.outputDir(), zone(c), (spark, report) -> PrepareJob.run(spark, cfg, report));
        });
        register("train", "prepared windows -> a recurrent forecaster trained with parameter averaging -> model "
                + "bundle", c -> {
            TrainConfig cfg = TrainConfig.from(c);
            return new Runner(cfg.registry() + "/" + cfg.name(), zone(c),
                    (spark, report) -> TrainJob.run(spark, cfg, c, flags.contains("--resume"), report));
        });
        register("forecast", "multi-step forecasts with prediction intervals (latest origin or a backtest range)",
                c -> {
                    ScoringConfig cfg = ScoringConfig.from(c);
                    return new Runner(cfg.outputDir() + "/forecasts/run_date=" + cfg.runDate(), zone(c),
                            (spark, report) -> ScoringJobs.forecast(spark, cfg, report));
                });
        register("detect", "per-row anomaly scores, flags and merged events, calibrated on validation residuals",
                c -> {
                    ScoringConfig cfg = ScoringConfig.from(c);
                    return new Runner(cfg.outputDir() + "/anomalies/run_date=" + cfg.runDate(), zone(c),
                            (spark, report) -> ScoringJobs.detect(spark, cfg, report));
                });
        register("evaluate", "backtest and anomaly metrics next to baselines, NAB scores, metrics.json/.md and an "
                + "HTML report", c -> {
            EvaluateConfig cfg = EvaluateConfig.from(c);
            return new Runner(cfg.output(), zone(c), (spark, report) -> EvaluateJob.run(spark, cfg, report));
        });
        register("compare", "prepare once, train each compare.types x compare.gradientClips, one table of test "
                + "metrics", c -> {
            PrepareConfig.from(c);
            TrainConfig.from(c);
            return new Runner(c.get(ConfigKeys.OUTPUT_DIR) + "/compare", zone(c),
                    (spark, report) -> CompareJob.run(spark, c, report));
        });
        register("pipeline", "prepare -> train -> forecast -> detect -> evaluate in one session on one config", c -> {
            PrepareConfig prepare = PrepareConfig.from(c);
            TrainConfig train = TrainConfig.from(c);
            ScoringConfig scoring = ScoringConfig.from(c);
            EvaluateConfig evaluate = EvaluateConfig.from(c);
            return new Runner(c.get(ConfigKeys.OUTPUT_DIR), zone(c),
                    (spark, report) -> PipelineJob.run(spark, c, prepare, train, scoring, evaluate, report));
        });
    }

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a job from command-line arguments and returns the process exit code. */
    public static int run(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println(usage());
            return args.length == 0 ? 2 : 0;
        }
        String jobName = args[0];
        Job job = JOBS.get(jobName);
        if (job == null) {
            System.err.println("error: unknown job '" + jobName + "'; jobs are " + JOBS.keySet());
            return 2;
        }
        Path configFile = null;
        List<String> overrides = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            String next = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--config" -> configFile = Path.of(require(a, next, i++));
                case "--set" -> overrides.add(require(a, next, i++));
                case "--master" -> overrides.add("spark.master=" + require(a, next, i++));
                case "--resume" -> flags.add(a);
                case "--run-date" -> overrides.add("run.date=" + require(a, next, i++));
                case "--help", "-h" -> {
                    System.out.println(usage());
                    return 0;
                }
                default -> {
                    System.err.println("error: unknown argument '" + a + "'\n" + usage());
                    return 2;
                }
            }
        }
        Config config;
        Runner runner;
        try {
            config = Config.load(configFile, overrides);
            runner = job.bind().apply(config);
        } catch (ConfigException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            System.err.println("error: " + oneLine(e));
            return 2;
        }
        RunReport report = new RunReport(jobName);
        report.stage("start-spark");
        SparkSession spark = null;
        boolean ownSession = SparkSession.getActiveSession().isEmpty();
        Storage storage = null;
        try {
            spark = SparkSessions.create(jobName, config, runner.sessionTimeZone());
            storage = new Storage(spark.sparkContext().hadoopConfiguration());
            runner.action().run(spark, report);
            report.endStage();
            report.writeSummary(storage, runner.outputDir(), "succeeded", config.effective(), null);
            report.log("summary: " + runner.outputDir() + "/_summary.json");
            return 0;
        } catch (Throwable e) {
            String stage = report.currentStage();
            String message = jobName + " failed" + (stage == null ? "" : " in stage '" + stage + "'") + ": "
                    + oneLine(e);
            if (System.getenv("TSFORGE_DEBUG") != null) {
                e.printStackTrace();
            }
            try {
                if (storage != null) {
                    report.writeSummary(storage, runner.outputDir(), "failed", config.effective(), message);
                }
            } catch (RuntimeException ignored) {
                // the one line below is what matters; the summary is best effort on failure
            }
            System.err.println("error: " + message + (System.getenv("TSFORGE_DEBUG") == null
                    ? " (set TSFORGE_DEBUG=1 for the stack trace)" : ""));
            return e instanceof ConfigException ? 2 : 1;
        } finally {
            if (spark != null && ownSession) {
                spark.stop();
            }
        }
    }

    private static String require(String flag, String value, int i) {
        if (value == null) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return value;
    }

    /** The innermost useful message of an exception chain, on one line. */
    static String oneLine(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t
                && (t.getMessage() == null || t instanceof org.apache.spark.SparkException
                || t.getClass().getName().endsWith("ExecutionException"))) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int nl = m.indexOf('\n');
        return (nl >= 0 ? m.substring(0, nl) : m).trim();
    }

    static String usage() {
        StringBuilder sb = new StringBuilder("usage: jobs/<job>.sh --config FILE [--set key=value ...] [--master URL] [--run-date yyyy-MM-dd] [--resume]\n\njobs:\n");
        JOBS.forEach((n, j) -> sb.append(String.format("  %-10s %s%n", n, j.description())));
        sb.append("\nconfig keys:\n").append(ConfigKeys.reference());
        return sb.toString();
    }
}
