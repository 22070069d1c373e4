package io.tsforge.samples;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.DayOfWeek;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Writes the project's small, deterministic sample data set: six load sensors at a 30-minute
 * cadence over 12 weeks, with injected anomalies (and their labels), gaps, duplicate rows and
 * malformed rows, so that every cleaning and detection step of the pipeline has something to do.
 *
 * <p>Output (in the chosen directory):
 * <ul>
 *   <li>{@code sensors.csv} &ndash; {@code sensor_id,timestamp,load_kw,ambient_c}, long format,
 *       written sensor by sensor but shuffled within each day of each sensor (consumers must sort);</li>
 *   <li>{@code labels.csv} &ndash; {@code series_id,start,end,kind}, one row per injected anomaly,
 *       start/end inclusive and aligned to whole hours;</li>
 *   <li>{@code README.md} &ndash; what the files are and the exact counts, computed here.</li>
 * </ul>
 *
 * <p>Everything is a pure function of the seed: random numbers come from {@link java.util.Random}
 * (whose algorithm is specified by the JDK), trigonometry from {@link StrictMath}, number formatting
 * uses {@link Locale#ROOT} and lines end with {@code \n}, so the same seed gives byte-identical files
 * on any platform. Timestamps are UTC wall-clock times (no offset is written).
 *
 * <p>Imports only the JDK, so it can be compiled and run with plain {@code javac}/{@code java}.
 */
public final class SampleDataGenerator {

    /** Seed used when {@code --seed} is not given. */
    public static final long DEFAULT_SEED = 20261121L;
    /** Output directory used when {@code --out} is not given. */
    public static final String DEFAULT_OUT_DIR = "data-samples";

    /** First nominal reading time (UTC). */
    public static final LocalDateTime START = LocalDateTime.of(2024, 1, 1, 0, 0, 0);
    /** Length of the generated range in days (12 weeks). */
    public static final int DAYS = 84;
    /** One reading every 30 minutes. */
    public static final int READINGS_PER_DAY = 48;
    public static final int TOTAL_SLOTS = DAYS * READINGS_PER_DAY;
    /** Readings are written 0..MAX_JITTER_SECONDS seconds after the half hour. */
    public static final int MAX_JITTER_SECONDS = 20;
    /** Anomalies are only injected at or after this fraction of the time range. */
    public static final double ANOMALY_REGION_START_FRACTION = 0.70;

    static final String[] SENSOR_IDS = {
        "sensor-01", "sensor-02", "sensor-03", "sensor-04", "sensor-05", "sensor-06"};
    static final int SENSORS = SENSOR_IDS.length;

    // Per-sensor shape parameters (index = sensor number - 1).
    private static final double[] BASE_KW = {62.0, 88.0, 47.0, 115.0, 74.0, 101.0};
    private static final double[] DAILY_AMPLITUDE = {0.22, 0.28, 0.18, 0.25, 0.30, 0.20};
    private static final double[] PEAK_HOUR = {15.0, 14.5, 16.0, 15.5, 14.0, 15.0};
    /** Multiplier on Saturdays and Sundays: 15%..24% lower than weekdays. */
    private static final double[] WEEKEND_FACTOR = {0.82, 0.78, 0.85, 0.80, 0.76, 0.83};
    /** Linear trend as a fraction of the base level per day (at most about +/-7% over 12 weeks). */
    private static final double[] TREND_PER_DAY = {0.0006, 0.0004, -0.0003, 0.0008, 0.0002, -0.0005};
    private static final double[] AMBIENT_OFFSET_C = {0.0, 1.2, -0.8, 2.0, -1.5, 0.6};

    private static final double LOAD_AR_PHI = 0.7;
    private static final double LOAD_NOISE_FRACTION = 0.025;
    private static final double AMBIENT_DAILY_AMPLITUDE_C = 3.0;
    /** Day-to-day "weather" offset of the ambient temperature: AR(1) over days. */
    private static final double WEATHER_AR_PHI = 0.7;
    private static final double WEATHER_NOISE_C = 1.8;
    private static final double AMBIENT_AR_PHI = 0.8;
    private static final double AMBIENT_NOISE_C = 0.6;
    /** Weak coupling: load moves by this fraction of base per degree of ambient anomaly. */
    private static final double LOAD_PER_AMBIENT_ANOMALY = 0.01;

    static final int DUPLICATES = 24;

    private static final DateTimeFormatter TS =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);
    private static final String BAD_TIMESTAMP = "2024-13-45 25:61:00";

    /**
     * Kinds of malformed rows written into sensors.csv (12 rows in all, spread through the file,
     * each a corrupted copy of a clean row written just before it, so dropping them loses nothing):
     * <ol>
     *   <li>BAD_TIMESTAMP &ndash; unparseable timestamp {@code 2024-13-45 25:61:00} (x2)</li>
     *   <li>NA_LOAD &ndash; non-numeric load {@code n/a} (x2)</li>
     *   <li>EMPTY_SENSOR_ID &ndash; empty sensor_id (x2)</li>
     *   <li>EMPTY_LOAD &ndash; empty load_kw value (x2)</li>
     *   <li>NAN_LOAD &ndash; {@code NaN} as load_kw (x1)</li>
     *   <li>INFINITY_AMBIENT &ndash; {@code Infinity} as ambient_c (x1)</li>
     *   <li>MISSING_COLUMN &ndash; only 3 fields, ambient_c column absent (x2)</li>
     * </ol>
     */
    enum Malformed {
        BAD_TIMESTAMP, NA_LOAD, EMPTY_SENSOR_ID, EMPTY_LOAD, NAN_LOAD, INFINITY_AMBIENT, MISSING_COLUMN
    }

    /** Order in which malformed rows appear in the file (12 rows, every kind at least once). */
    private static final Malformed[] MALFORMED_PLAN = {
        Malformed.BAD_TIMESTAMP, Malformed.NA_LOAD, Malformed.EMPTY_SENSOR_ID, Malformed.EMPTY_LOAD,
        Malformed.NAN_LOAD, Malformed.INFINITY_AMBIENT, Malformed.MISSING_COLUMN,
        Malformed.BAD_TIMESTAMP, Malformed.NA_LOAD, Malformed.EMPTY_SENSOR_ID, Malformed.EMPTY_LOAD,
        Malformed.MISSING_COLUMN};

    /** Counts describing one generated data set. */
    public record Summary(int dataRows, int cleanRows, int duplicateRows, int malformedRows, int anomalies) {
    }

    /** One injected anomaly: {@code count} consecutive readings of one sensor from {@code firstSlot}. */
    private record Anomaly(int sensor, int firstSlot, int count, String kind, double factor) {
        int lastSlot() {
            return firstSlot + count - 1;
        }

        /** Label start: the whole hour containing the first affected reading. */
        LocalDateTime labelStart() {
            return slotTime(firstSlot).withMinute(0).withSecond(0);
        }

        /** Label end (inclusive): last second of the hour containing the last affected reading. */
        LocalDateTime labelEnd() {
            return slotTime(lastSlot()).withMinute(59).withSecond(59);
        }
    }

    /** The injected anomalies, all in the last 30% of the range (day 59 = 2024-02-29 onwards). */
    private static final List<Anomaly> ANOMALIES = List.of(
        // sensor-02: two isolated spikes, one reading each, load x 2.5
        new Anomaly(1, slot(63, 14, 0), 1, "spike", 2.5),          // 2024-03-04 14:00
        new Anomaly(1, slot(74, 10, 0), 1, "spike", 2.5),          // 2024-03-15 10:00
        // sensor-04: level shift +35% for 12 hours (24 readings)
        new Anomaly(3, slot(67, 6, 0), 24, "level_shift", 1.35),   // 2024-03-08 06:00 .. 17:30
        // sensor-05: stuck at the last good value for 8 hours (16 readings), crosses midnight
        new Anomaly(4, slot(71, 20, 0), 16, "stuck", 1.0),         // 2024-03-12 20:00 .. 03-13 03:30
        // sensor-06: dip to 30% for 2 hours (4 readings)
        new Anomaly(5, slot(78, 13, 0), 4, "dip", 0.3));           // 2024-03-19 13:00 .. 14:30

    /** Short gap in sensor-03: 2 consecutive hours (4 readings) on day 20 = 2024-01-21 10:00..11:30. */
    private static final int SHORT_GAP_SENSOR = 2;
    private static final int SHORT_GAP_FIRST_SLOT = slot(20, 10, 0);
    private static final int SHORT_GAP_READINGS = 4;
    /** Long gap in sensor-01: 3 whole days, days 40..42 = 2024-02-10 00:00 .. 2024-02-12 23:30. */
    private static final int LONG_GAP_SENSOR = 0;
    private static final int LONG_GAP_FIRST_SLOT = slot(40, 0, 0);
    private static final int LONG_GAP_READINGS = 3 * READINGS_PER_DAY;

    /** A clean reading as it will be written. */
    private static final class Reading {
        final int sensor;
        final int slot;
        final LocalDateTime ts;
        final double load;
        final double ambient;
        final boolean nearAnomaly;

        Reading(int sensor, int slot, LocalDateTime ts, double load, double ambient, boolean nearAnomaly) {
            this.sensor = sensor;
            this.slot = slot;
            this.ts = ts;
            this.load = load;
            this.ambient = ambient;
            this.nearAnomaly = nearAnomaly;
        }
    }

    private SampleDataGenerator() {
    }

    static int slot(int day, int hour, int minute) {
        return day * READINGS_PER_DAY + hour * 2 + minute / 30;
    }

    static LocalDateTime slotTime(int slot) {
        return START.plusMinutes(30L * slot);
    }

    private static String fmt3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static String fmt2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static boolean inGap(int sensor, int slot) {
        if (sensor == SHORT_GAP_SENSOR
            && slot >= SHORT_GAP_FIRST_SLOT && slot < SHORT_GAP_FIRST_SLOT + SHORT_GAP_READINGS) {
            return true;
        }
        return sensor == LONG_GAP_SENSOR
            && slot >= LONG_GAP_FIRST_SLOT && slot < LONG_GAP_FIRST_SLOT + LONG_GAP_READINGS;
    }

    /**
     * Generates the sample files into {@code outDir} (created if needed; existing files of the same
     * names are overwritten).
     *
     * @param outDir output directory
     * @param seed   random seed; the same seed gives byte-identical files
     * @return the counts written to README.md
     * @throws IOException if a file cannot be written
     */
    public static Summary generate(Path outDir, long seed) throws IOException {
        int anomalyRegionStart = (int) StrictMath.ceil(TOTAL_SLOTS * ANOMALY_REGION_START_FRACTION);
        for (Anomaly a : ANOMALIES) {
            if (a.firstSlot() - 1 < anomalyRegionStart || a.lastSlot() >= TOTAL_SLOTS) {
                throw new IllegalStateException("anomaly outside the last 30% of the range: " + a);
            }
        }

        Random master = new Random(seed);
        Random[] sensorRng = new Random[SENSORS];
        for (int s = 0; s < SENSORS; s++) {
            sensorRng[s] = new Random(master.nextLong());
        }
        Random shuffleRng = new Random(master.nextLong());
        Random duplicateRng = new Random(master.nextLong());

        // 1) Clean readings, in output order: sensor by sensor, shuffled within each day.
        List<Reading> rows = new ArrayList<>(SENSORS * TOTAL_SLOTS);
        int[] cleanPerSensor = new int[SENSORS];
        for (int s = 0; s < SENSORS; s++) {
            List<Reading> series = generateSeries(s, sensorRng[s]);
            cleanPerSensor[s] = series.size();
            int i = 0;
            while (i < series.size()) {
                int day = series.get(i).slot / READINGS_PER_DAY;
                int j = i;
                while (j < series.size() && series.get(j).slot / READINGS_PER_DAY == day) {
                    j++;
                }
                List<Reading> block = new ArrayList<>(series.subList(i, j));
                // Fisher-Yates, written out so the permutation does not depend on library internals.
                for (int k = block.size() - 1; k > 0; k--) {
                    int r = shuffleRng.nextInt(k + 1);
                    Reading tmp = block.get(k);
                    block.set(k, block.get(r));
                    block.set(r, tmp);
                }
                rows.addAll(block);
                i = j;
            }
        }
        int n = rows.size();

        // Extra rows to write right after clean row i.
        Map<Integer, List<String>> after = new HashMap<>();
        Map<Integer, List<Malformed>> malformedAfter = new HashMap<>();
        Set<Integer> usedSources = new HashSet<>();

        // 2) Duplicates: same (sensor_id, timestamp), placed later than the original row.
        //    Even-numbered ones repeat the row exactly, odd-numbered ones change load_kw by 0.5%..2%.
        for (int d = 0; d < DUPLICATES; d++) {
            int src;
            do {
                src = duplicateRng.nextInt(n);
            } while (rows.get(src).nearAnomaly || usedSources.contains(src) || src == n - 1);
            usedSources.add(src);
            Reading r = rows.get(src);
            String original = fmt3(r.load);
            String load = original;
            if (d % 2 == 1) {
                double sign = duplicateRng.nextBoolean() ? 1.0 : -1.0;
                double rel = 0.005 + 0.015 * duplicateRng.nextDouble();
                load = fmt3(r.load * (1.0 + sign * rel));
                if (load.equals(original)) {
                    load = fmt3(r.load + 0.01);
                }
            }
            int target = src + 1 + duplicateRng.nextInt(n - 1 - src); // in (src, n-1]
            after.computeIfAbsent(target, k -> new ArrayList<>())
                .add(csv(SENSOR_IDS[r.sensor], TS.format(r.ts), load, fmt2(r.ambient)));
        }

        // 3) Malformed rows, evenly spread: a corrupted copy of the clean row written just before.
        for (int k = 0; k < MALFORMED_PLAN.length; k++) {
            int src = (int) ((k + 0.5) * n / MALFORMED_PLAN.length);
            while (rows.get(src).nearAnomaly || usedSources.contains(src)) {
                src--;
            }
            usedSources.add(src);
            Malformed kind = MALFORMED_PLAN[k];
            after.computeIfAbsent(src, x -> new ArrayList<>()).add(malformedLine(kind, rows.get(src)));
            malformedAfter.computeIfAbsent(src, x -> new ArrayList<>()).add(kind);
        }

        // 4) Write sensors.csv.
        Files.createDirectories(outDir);
        int dataRows = 0;
        int duplicateRows = 0;
        int malformedRows = 0;
        List<String> malformedLines = new ArrayList<>();
        try (Writer w = writer(outDir.resolve("sensors.csv"))) {
            w.write("sensor_id,timestamp,load_kw,ambient_c\n");
            int line = 1;
            for (int i = 0; i < n; i++) {
                Reading r = rows.get(i);
                w.write(csv(SENSOR_IDS[r.sensor], TS.format(r.ts), fmt3(r.load), fmt2(r.ambient)));
                w.write('\n');
                line++;
                dataRows++;
                List<String> extra = after.get(i);
                if (extra == null) {
                    continue;
                }
                List<Malformed> kinds = malformedAfter.getOrDefault(i, List.of());
                int malformedHere = kinds.size();
                // Within one slot the duplicates were added first, the malformed row (if any) last.
                for (int e = 0; e < extra.size(); e++) {
                    w.write(extra.get(e));
                    w.write('\n');
                    line++;
                    dataRows++;
                    if (e >= extra.size() - malformedHere) {
                        malformedRows++;
                        malformedLines.add(kinds.get(e - (extra.size() - malformedHere)) + " (line " + line + ")");
                    } else {
                        duplicateRows++;
                    }
                }
            }
        }

        // 5) labels.csv
        try (Writer w = writer(outDir.resolve("labels.csv"))) {
            w.write("series_id,start,end,kind\n");
            for (Anomaly a : ANOMALIES) {
                w.write(csv(SENSOR_IDS[a.sensor()], TS.format(a.labelStart()), TS.format(a.labelEnd()), a.kind()));
                w.write('\n');
            }
        }

        Summary summary = new Summary(dataRows, n, duplicateRows, malformedRows, ANOMALIES.size());

        // 6) README.md
        try (Writer w = writer(outDir.resolve("README.md"))) {
            w.write(readme(seed, summary, cleanPerSensor, malformedLines));
        }
        return summary;
    }

    /** Generates one sensor's clean readings in time order (gap readings removed, anomalies applied). */
    private static List<Reading> generateSeries(int s, Random rng) {
        double base = BASE_KW[s];
        double loadNoise = 0.0;
        double ambientNoise = 0.0;
        double weather = 0.0;
        double[] load = new double[TOTAL_SLOTS];
        double[] ambient = new double[TOTAL_SLOTS];
        int[] jitter = new int[TOTAL_SLOTS];
        for (int t = 0; t < TOTAL_SLOTS; t++) {
            int day = t / READINGS_PER_DAY;
            double hour = (t % READINGS_PER_DAY) / 2.0;
            double dayFraction = t / (double) READINGS_PER_DAY;
            DayOfWeek dow = slotTime(t).getDayOfWeek();
            boolean weekend = dow == DayOfWeek.SATURDAY || dow == DayOfWeek.SUNDAY;

            if (t % READINGS_PER_DAY == 0) {
                weather = WEATHER_AR_PHI * weather + WEATHER_NOISE_C * rng.nextGaussian();
            }
            ambientNoise = AMBIENT_AR_PHI * ambientNoise + AMBIENT_NOISE_C * rng.nextGaussian();
            double ambientAnomaly = weather + ambientNoise;
            ambient[t] = 6.0 + AMBIENT_OFFSET_C[s] + 0.04 * day
                + AMBIENT_DAILY_AMPLITUDE_C * StrictMath.cos(2.0 * StrictMath.PI * (hour - 14.5) / 24.0)
                + ambientAnomaly;

            loadNoise = LOAD_AR_PHI * loadNoise + LOAD_NOISE_FRACTION * base * rng.nextGaussian();
            double level = base
                * (1.0 + TREND_PER_DAY[s] * dayFraction)
                * (1.0 + DAILY_AMPLITUDE[s] * StrictMath.cos(2.0 * StrictMath.PI * (hour - PEAK_HOUR[s]) / 24.0))
                * (weekend ? WEEKEND_FACTOR[s] : 1.0);
            load[t] = StrictMath.max(1.0, level + loadNoise + LOAD_PER_AMBIENT_ANOMALY * base * ambientAnomaly);
            jitter[t] = rng.nextInt(MAX_JITTER_SECONDS + 1);
        }

        boolean[] nearAnomaly = new boolean[TOTAL_SLOTS];
        for (Anomaly a : ANOMALIES) {
            if (a.sensor() != s) {
                continue;
            }
            double stuckValue = load[a.firstSlot() - 1];
            for (int t = a.firstSlot(); t <= a.lastSlot(); t++) {
                load[t] = a.kind().equals("stuck") ? stuckValue : load[t] * a.factor();
            }
            // Keep duplicates/malformed copies away from the labelled hours (+/- one hour).
            int from = StrictMath.max(0, a.firstSlot() - (a.firstSlot() % 2) - 2);
            int to = StrictMath.min(TOTAL_SLOTS - 1, a.lastSlot() + 4);
            for (int t = from; t <= to; t++) {
                nearAnomaly[t] = true;
            }
        }

        List<Reading> out = new ArrayList<>(TOTAL_SLOTS);
        for (int t = 0; t < TOTAL_SLOTS; t++) {
            if (inGap(s, t)) {
                continue;
            }
            // Round once here so that what is written and what duplicates copy are identical.
            double l = Double.parseDouble(fmt3(load[t]));
            double amb = Double.parseDouble(fmt2(ambient[t]));
            out.add(new Reading(s, t, slotTime(t).plusSeconds(jitter[t]), l, amb, nearAnomaly[t]));
        }
        return out;
    }

    private static String malformedLine(Malformed kind, Reading r) {
        String id = SENSOR_IDS[r.sensor];
        String ts = TS.format(r.ts);
        String load = fmt3(r.load);
        String amb = fmt2(r.ambient);
        switch (kind) {
            case BAD_TIMESTAMP:
                return csv(id, BAD_TIMESTAMP, load, amb);
            case NA_LOAD:
                return csv(id, ts, "n/a", amb);
            case EMPTY_SENSOR_ID:
                return csv("", ts, load, amb);
            case EMPTY_LOAD:
                return csv(id, ts, "", amb);
            case NAN_LOAD:
                return csv(id, ts, "NaN", amb);
            case INFINITY_AMBIENT:
                return csv(id, ts, load, "Infinity");
            case MISSING_COLUMN:
                return id + "," + ts + "," + load;
            default:
                throw new IllegalArgumentException(String.valueOf(kind));
        }
    }

    private static String csv(String a, String b, String c, String d) {
        return a + "," + b + "," + c + "," + d;
    }

    private static Writer writer(Path file) throws IOException {
        return new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(file), StandardCharsets.UTF_8));
    }

    private static String readme(long seed, Summary sm, int[] cleanPerSensor, List<String> malformedLines) {
        StringBuilder b = new StringBuilder();
        b.append("# Sample data\n\n");
        b.append("Generated by `io.tsforge.samples.SampleDataGenerator` with seed ").append(seed)
            .append(" (same seed, byte-identical files). Do not edit by hand; regenerate with\n")
            .append("`java -cp <classes> io.tsforge.samples.SampleDataGenerator --out <dir> --seed ")
            .append(seed).append("`.\n\n");
        b.append("## Files\n\n");
        b.append("- `sensors.csv` - `sensor_id,timestamp,load_kw,ambient_c`, long format, six sensors (`sensor-01`..`sensor-06`), ")
            .append("one reading every 30 minutes (0-").append(MAX_JITTER_SECONDS)
            .append(" s after the half hour), ").append(TS.format(START)).append(" to ")
            .append(TS.format(slotTime(TOTAL_SLOTS - 1))).append(" UTC (").append(DAYS)
            .append(" days). Rows are grouped by sensor but shuffled within each day: sort before use.\n");
        b.append("- `labels.csv` - `series_id,start,end,kind`, one row per injected anomaly; start and end are inclusive ")
            .append("and aligned to whole hours (a spike label covers the hour of its one spiked reading).\n\n");
        b.append("## Counts (sensors.csv, excluding the header)\n\n");
        b.append("| rows | count |\n|---|---|\n");
        b.append("| data rows (total) | ").append(sm.dataRows()).append(" |\n");
        b.append("| clean rows | ").append(sm.cleanRows()).append(" |\n");
        b.append("| duplicate rows | ").append(sm.duplicateRows()).append(" |\n");
        b.append("| malformed rows | ").append(sm.malformedRows()).append(" |\n\n");
        b.append("Clean rows per sensor (").append(TOTAL_SLOTS).append(" expected readings each): ");
        for (int s = 0; s < SENSORS; s++) {
            b.append(s == 0 ? "" : ", ").append(SENSOR_IDS[s]).append(" ").append(cleanPerSensor[s]);
        }
        b.append(".\n\n");
        b.append("## Anomalies (").append(sm.anomalies()).append(", all after ")
            .append(TS.format(slotTime((int) StrictMath.ceil(TOTAL_SLOTS * ANOMALY_REGION_START_FRACTION))))
            .append(", i.e. in the last 30% of the range)\n\n");
        for (Anomaly a : ANOMALIES) {
            b.append("- ").append(SENSOR_IDS[a.sensor()]).append(" `").append(a.kind()).append("` ")
                .append(TS.format(a.labelStart())).append(" .. ").append(TS.format(a.labelEnd()))
                .append(": ").append(a.count()).append(a.count() == 1 ? " reading" : " readings")
                .append(" from ").append(TS.format(slotTime(a.firstSlot()))).append(", ")
                .append(describe(a)).append("\n");
        }
        b.append("\n## Gaps\n\n");
        b.append("- ").append(SENSOR_IDS[SHORT_GAP_SENSOR]).append(": ").append(SHORT_GAP_READINGS)
            .append(" readings missing, ").append(TS.format(slotTime(SHORT_GAP_FIRST_SLOT))).append(" .. ")
            .append(TS.format(slotTime(SHORT_GAP_FIRST_SLOT + SHORT_GAP_READINGS - 1)))
            .append(" (short gap, meant to be filled).\n");
        b.append("- ").append(SENSOR_IDS[LONG_GAP_SENSOR]).append(": ").append(LONG_GAP_READINGS)
            .append(" readings missing, ").append(TS.format(slotTime(LONG_GAP_FIRST_SLOT))).append(" .. ")
            .append(TS.format(slotTime(LONG_GAP_FIRST_SLOT + LONG_GAP_READINGS - 1)))
            .append(" (3 whole days, long gap that splits the series).\n\n");
        b.append("## Dirty rows\n\n");
        b.append("- Duplicates: ").append(sm.duplicateRows())
            .append(" rows repeat an existing (sensor_id, timestamp), always after the original row; ")
            .append("half are identical, half have a load_kw 0.5-2% off.\n");
        b.append("- Malformed: ").append(sm.malformedRows())
            .append(" rows, each a corrupted copy of the clean row just before it: ");
        for (int i = 0; i < malformedLines.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(malformedLines.get(i));
        }
        b.append(". BAD_TIMESTAMP is `").append(BAD_TIMESTAMP)
            .append("`; MISSING_COLUMN rows have only 3 fields.\n");
        return b.toString();
    }

    private static String describe(Anomaly a) {
        switch (a.kind()) {
            case "stuck":
                return "load_kw constant at the preceding reading's value";
            case "level_shift":
                return "load_kw +" + Math.round((a.factor() - 1.0) * 100) + "%";
            default:
                return "load_kw x " + String.format(Locale.ROOT, "%.1f", a.factor());
        }
    }

    /**
     * Command line: {@code [--out DIR] [--seed N]} (also {@code --out=DIR}, {@code --seed=N}).
     * Exit code 2 on bad arguments, 1 on I/O errors.
     */
    public static void main(String[] args) {
        String out = DEFAULT_OUT_DIR;
        long seed = DEFAULT_SEED;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (name.equals("-h") || name.equals("--help")) {
                System.out.println("usage: SampleDataGenerator [--out DIR] [--seed N]  (defaults: --out "
                    + DEFAULT_OUT_DIR + " --seed " + DEFAULT_SEED + ")");
                return;
            }
            if (!name.equals("--out") && !name.equals("--seed")) {
                fail("unknown argument '" + arg + "' (expected --out DIR or --seed N)");
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    fail("missing value for " + name);
                }
                value = args[++i];
            }
            if (name.equals("--out")) {
                if (value.isBlank()) {
                    fail("invalid value for --out: '" + value + "' (expected a directory path)");
                }
                out = value;
            } else {
                try {
                    seed = Long.parseLong(value.trim());
                } catch (NumberFormatException e) {
                    fail("invalid value for --seed: '" + value + "' (expected a 64-bit integer)");
                }
            }
        }
        Path outDir;
        try {
            outDir = Paths.get(out);
        } catch (RuntimeException e) {
            fail("invalid value for --out: '" + out + "' (" + e.getMessage() + ")");
            return;
        }
        try {
            Summary s = generate(outDir, seed);
            System.out.println("SampleDataGenerator: wrote " + outDir + " seed=" + seed
                + " dataRows=" + s.dataRows() + " cleanRows=" + s.cleanRows()
                + " duplicateRows=" + s.duplicateRows() + " malformedRows=" + s.malformedRows()
                + " anomalies=" + s.anomalies());
        } catch (IOException e) {
            System.err.println("SampleDataGenerator: cannot write to " + outDir + ": " + e);
            System.exit(1);
        }
    }

    private static void fail(String message) {
        System.err.println("SampleDataGenerator: " + message);
        System.exit(2);
    }
}
