package io.tsforge.jobs;

import io.tsforge.io.Storage;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A job's progress lines and its {@code _summary.json}: stages with their timings, counts, the effective config and
 * versions. Progress goes to stderr so that stdout stays clean for whatever a job prints as its result.
 */
public final class RunReport {

    private final String job;
    private final Instant started = Instant.now();
    private final long startNanos = System.nanoTime();
    private final Map<String, Object> counts = new LinkedHashMap<>();
    private final Map<String, Double> stageSeconds = new LinkedHashMap<>();
    private final Map<String, Object> extra = new LinkedHashMap<>();
    private String stage;
    private long stageStart;
    private long stageCpuStart = -1;

    public RunReport(String job) {
        this.job = job;
    }

    public String job() {
        return job;
    }

    /** Ends the running stage (if any) and starts the next. */
    public void stage(String name) {
        endStage();
        stage = name;
        stageStart = System.nanoTime();
        stageCpuStart = processCpuNanos();
        log(name + " ...");
    }

    public void endStage() {
        if (stage != null) {
            double s = (System.nanoTime() - stageStart) / 1e9;
            stageSeconds.merge(stage, s, Double::sum);
            long cpu = processCpuNanos();
            // the process's CPU seconds (all threads): in local mode the stage's work, steadier than wall time on a
            // shared machine; on a cluster only the driver's share
            log(cpu >= 0 && stageCpuStart >= 0
                    ? String.format(Locale.ROOT, "%s done in %.1f s (process CPU %.1f s)", stage, s,
                    (cpu - stageCpuStart) / 1e9)
                    : String.format(Locale.ROOT, "%s done in %.1f s", stage, s));
            stage = null;
        }
    }

    public String currentStage() {
        return stage;
    }

    public void log(String message) {
        System.err.printf(Locale.ROOT, "[%s %6.1fs] %s%n", job, elapsedSeconds(), message);
        System.err.flush();
    }

    public double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    public void count(String name, Object value) {
        counts.put(name, value);
    }

    public Object count(String name) {
        return counts.get(name);
    }

    public void put(String name, Object value) {
        extra.put(name, value);
    }

    public Map<String, Object> summary(String status, Map<String, String> config, String error) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("job", job);
        m.put("status", status);
        if (error != null) {
            m.put("error", error);
            m.put("failedStage", stage);
        }
        m.put("started", started.toString());
        m.put("elapsedSeconds", Math.round(elapsedSeconds() * 1000) / 1000.0);
        m.put("counts", counts);
        m.putAll(extra);
        m.put("stageSeconds", stageSeconds);
        m.put("peakRssMb", peakRssMb());
        m.put("config", config);
        m.put("versions", Versions.all());
        return m;
    }

    public void writeSummary(Storage storage, String outputDir, String status, Map<String, String> config,
                             String error) {
        storage.writeJson(outputDir + "/_summary.json", summary(status, config, error));
    }

    /** CPU time of the whole process (all threads), or -1 where the JVM does not report it. */
    static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** The process's peak resident memory (Linux VmHWM), or -1 where it cannot be read. */
    public static long peakRssMb() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) >> 10;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
