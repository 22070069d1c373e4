package io.tsforge.samples;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A synthetic long-dependency task: a sparse pulse input ({@code pulse}: +1 or -1 with probability 5 % per step, else
 * 0, plus noise) and a target that repeats it {@code lag} steps later ({@code target_t = 2 * pulse_(t-lag) + noise}).
 * Forecasting the next target needs the input from {@code lag - 1} steps back: a recurrent network has to carry
 * information across that many steps, which vanishing gradients make hard for a vanilla RNN. Wide CSV
 * {@code time,target,pulse}, hourly, deterministic for a seed.
 */
public final class LongDependencyGenerator {

    private LongDependencyGenerator() {
    }

    public static void generate(Path file, int steps, int lag, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] pulse = new double[steps];
        for (int t = 0; t < steps; t++) {
            double u = rnd.nextDouble();
            pulse[t] = (u < 0.025 ? 1 : u < 0.05 ? -1 : 0) + 0.05 * gaussian(rnd);
        }
        DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);
        long t0 = Instant.parse("2020-01-01T00:00:00Z").toEpochMilli();
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("time,target,pulse\n");
            for (int t = 0; t < steps; t++) {
                double target = (t >= lag ? 2 * pulse[t - lag] : 0) + 0.05 * gaussian(rnd);
                w.write(f.format(Instant.ofEpochMilli(t0 + t * 3_600_000L)) + ","
                        + String.format(Locale.ROOT, "%.4f,%.4f", target, pulse[t]) + "\n");
            }
        }
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    /** {@code --out FILE [--steps N] [--lag L] [--seed S]}. */
    public static void main(String[] args) throws IOException {
        Path out = Path.of("out/long-dependency/long-dependency.csv");
        int steps = 20_000;
        int lag = 60;
        long seed = 7;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--out" -> out = Path.of(args[i + 1]);
                case "--steps" -> steps = Integer.parseInt(args[i + 1]);
                case "--lag" -> lag = Integer.parseInt(args[i + 1]);
                case "--seed" -> seed = Long.parseLong(args[i + 1]);
                default -> {
                    System.err.println("unknown argument '" + args[i] + "'; use --out, --steps, --lag, --seed");
                    System.exit(2);
                }
            }
        }
        generate(out, steps, lag, seed);
        System.out.println("wrote " + out + " (" + steps + " steps, lag " + lag + ", seed " + seed + ")");
    }
}
