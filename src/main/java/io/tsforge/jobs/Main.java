package io.tsforge.jobs;

import io.tsforge.config.Config;
import io.tsforge.config.ConfigException;
import io.tsforge.config.ConfigKeys;
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

/**
 * The command line of every job: {@code <job> --config FILE [--set key=value ...] [--master URL]}. It parses, builds
 * the validated job config (failing before Spark starts), runs the job and writes {@code _summary.json}; a failure
 * ends in one line saying what failed and where, and exit code 1 (2 for a usage or config error).
 */
public final class Main {

    /** A job: validates its config, then runs in a session. */
    interface Job {
        String description();

        /** Validates and returns the prepared runner; throws {@link ConfigException} before any Spark work. */
        Runner bind(Config config);
    }

    interface Runner {
        String outputDir();

        String sessionTimeZone();

        void run(SparkSession spark, RunReport report) throws Exception;
    }

    static final Map<String, Job> JOBS = new LinkedHashMap<>();

    /** Flags without values given on the command line (e.g. {@code --resume}). */
    static final java.util.Set<String> flags = new java.util.HashSet<>();

    static {
        JOBS.put("prepare", new Job() {
            @Override
            public String description() {
                return "raw readings -> quarantine, resampled series, statistics, windows";
            }

            @Override
            public Runner bind(Config config) {
                PrepareConfig cfg = PrepareConfig.from(config);
                return new Runner() {
                    @Override
                    public String outputDir() {
                        return cfg.outputDir();
                    }

                    @Override
                    public String sessionTimeZone() {
                        return cfg.input().zone().getId();
                    }

                    @Override
                    public void run(SparkSession spark, RunReport report) {
                        PrepareJob.run(spark, cfg, report);
                    }
                };
            }
        });
    }

    static {
        JOBS.put("train", new Job() {
            @Override
            public String description() {
                return "prepared windows -> a recurrent forecaster trained with parameter averaging -> model bundle";
            }

            @Override
            public Runner bind(Config config) {
                TrainConfig cfg = TrainConfig.from(config);
                PrepareConfig prepare = PrepareConfig.from(config);
                return new Runner() {
                    @Override
                    public String outputDir() {
                        return cfg.registry() + "/" + cfg.name();
                    }

                    @Override
                    public String sessionTimeZone() {
                        return prepare.input().zone().getId();
                    }

                    @Override
                    public void run(SparkSession spark, RunReport report) {
                        TrainJob.run(spark, cfg, config, flags.contains("--resume"), report);
                    }
                };
            }
        });
    }

    static {
        for (String name : List.of("forecast", "detect")) {
            JOBS.put(name, new Job() {
                @Override
                public String description() {
                    return name.equals("forecast")
                            ? "multi-step forecasts with prediction intervals (latest origin or a backtest range)"
                            : "per-row anomaly scores, flags and merged events, calibrated on validation residuals";
                }

                @Override
                public Runner bind(Config config) {
                    ScoringConfig cfg = ScoringConfig.from(config);
                    PrepareConfig prepare = PrepareConfig.from(config);
                    return new Runner() {
                        @Override
                        public String outputDir() {
                            return cfg.outputDir() + "/" + (name.equals("forecast") ? "forecasts" : "anomalies")
                                    + "/run_date=" + cfg.runDate();
                        }

                        @Override
                        public String sessionTimeZone() {
                            return prepare.input().zone().getId();
                        }

                        @Override
                        public void run(SparkSession spark, RunReport report) {
                            if (name.equals("forecast")) {
                                ScoringJobs.forecast(spark, cfg, report);
                            } else {
                                ScoringJobs.detect(spark, cfg, report);
                            }
                        }
                    };
                }
            });
        }
    }

    static {
        JOBS.put("pipeline", new Job() {
            @Override
            public String description() {
                return "prepare -> train -> forecast -> detect in one session on one config";
            }

            @Override
            public Runner bind(Config config) {
                PrepareConfig prepare = PrepareConfig.from(config);
                TrainConfig train = TrainConfig.from(config);
                ScoringConfig scoring = ScoringConfig.from(config);
                String outputDir = config.get(ConfigKeys.OUTPUT_DIR);
                return new Runner() {
                    @Override
                    public String outputDir() {
                        return outputDir;
                    }

                    @Override
                    public String sessionTimeZone() {
                        return prepare.input().zone().getId();
                    }

                    @Override
                    public void run(SparkSession spark, RunReport report) {
                        PipelineJob.run(spark, config, prepare, train, scoring, report);
                    }
                };
            }
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
            runner = job.bind(config);
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
            runner.run(spark, report);
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
