package io.tsforge.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsforge.core.Normalizer;
import io.tsforge.core.ResidualCalibration;
import io.tsforge.io.CalibrationJson;
import io.tsforge.io.NormalizerJson;
import io.tsforge.io.Storage;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A versioned model bundle: {@code <registry>/<name>/v<N>/} holds everything scoring needs.
 * <ul>
 *   <li>{@code network.zip}: the DL4J network with its updater state (ModelSerializer);</li>
 *   <li>{@code normalization.json}: prepare's per-series statistics;</li>
 *   <li>{@code schema.json}: target, covariates, frequency, lookback, horizon, architecture, parameter count;</li>
 *   <li>{@code calibration.json}: validation residual quantiles and robust scales per series and horizon step;</li>
 *   <li>{@code config.json}, {@code provenance.json}, {@code metrics.json}.</li>
 * </ul>
 * A bundle is written into a temporary folder and renamed into place, and {@code latest} (a file naming the version)
 * is rewritten last, so a crash never leaves {@code latest} pointing at a partial bundle.
 */
public record ModelBundle(String dir, MultiLayerNetwork network, Normalizer normalizer,
                          ResidualCalibration calibration, JsonNode schema, JsonNode config, JsonNode provenance,
                          JsonNode metrics) {

    public static final int SCHEMA_VERSION = 1;
    public static final String NETWORK = "network.zip";
    public static final String NORMALIZATION = "normalization.json";
    public static final String SCHEMA = "schema.json";
    public static final String CALIBRATION = "calibration.json";
    public static final String CONFIG = "config.json";
    public static final String PROVENANCE = "provenance.json";
    public static final String METRICS = "metrics.json";
    public static final List<String> PARTS = List.of(NETWORK, NORMALIZATION, SCHEMA, CALIBRATION, CONFIG, PROVENANCE,
            METRICS);
    private static final Pattern VERSION = Pattern.compile("v(\\d+)");

    public String target() {
        return schema.path("target").asText();
    }

    public int lookback() {
        return schema.path("lookback").asInt();
    }

    public int horizon() {
        return schema.path("horizon").asInt();
    }

    public boolean perStepHead() {
        return schema.path("perStepHead").asBoolean();
    }

    public String version() {
        return new Path(dir).getName();
    }

    /** The network as bytes (with updater state), for broadcasting to executors. */
    public static byte[] networkBytes(MultiLayerNetwork net, boolean withUpdater) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ModelSerializer.writeModel(net, out, withUpdater);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a new version and moves {@code latest} to it; returns the bundle folder. */
    public static String write(Storage storage, String registry, String name, MultiLayerNetwork net,
                               JsonNode normalization, JsonNode schema, ResidualCalibration calibration,
                               JsonNode config, JsonNode provenance, JsonNode metrics) {
        String home = registry + "/" + name;
        FileSystem fs = storage.fs(home);
        try {
            fs.mkdirs(new Path(home));
            int next = versions(fs, home).stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
            Path tmp = new Path(home, ".v" + next + ".tmp-" + UUID.randomUUID());
            fs.mkdirs(tmp);
            try (FSDataOutputStream out = fs.create(new Path(tmp, NETWORK))) {
                ModelSerializer.writeModel(net, out, true);
            }
            storage.writeJson(tmp + "/" + NORMALIZATION, normalization);
            storage.writeJson(tmp + "/" + SCHEMA, schema);
            storage.writeJson(tmp + "/" + CALIBRATION, CalibrationJson.toJson(calibration));
            storage.writeJson(tmp + "/" + CONFIG, config);
            storage.writeJson(tmp + "/" + PROVENANCE, provenance);
            storage.writeJson(tmp + "/" + METRICS, metrics);
            Path dest = new Path(home, "v" + next);
            if (!fs.rename(tmp, dest)) {
                throw new IOException("cannot rename " + tmp + " to " + dest);
            }
            Path latestTmp = new Path(home, ".latest.tmp-" + UUID.randomUUID());
            try (FSDataOutputStream out = fs.create(latestTmp)) {
                out.write(("v" + next + "\n").getBytes(StandardCharsets.UTF_8));
            }
            Path latest = new Path(home, "latest");
            fs.delete(latest, false);
            if (!fs.rename(latestTmp, latest)) {
                throw new IOException("cannot rename " + latestTmp + " to " + latest);
            }
            return dest.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model bundle under " + home + ": " + e.getMessage(), e);
        }
    }

    static List<Integer> versions(FileSystem fs, String home) throws IOException {
        List<Integer> v = new ArrayList<>();
        if (!fs.exists(new Path(home))) {
            return v;
        }
        for (FileStatus s : fs.listStatus(new Path(home))) {
            Matcher m = VERSION.matcher(s.getPath().getName());
            if (s.isDirectory() && m.matches()) {
                v.add(Integer.parseInt(m.group(1)));
            }
        }
        return v;
    }

    /** The folder of {@code version} ({@code latest}, {@code vN} or {@code N}) of a model. */
    public static String resolve(Storage storage, String registry, String name, String version) {
        String home = registry + "/" + name;
        FileSystem fs = storage.fs(home);
        try {
            String v = version;
            if (version.equals("latest")) {
                Path latest = new Path(home, "latest");
                v = readLatest(fs, latest);
                if (v == null) {
                    // write() replaces latest by delete-then-rename (Hadoop's rename does not overwrite), so a
                    // writer killed in between leaves none for a moment; every vN folder is complete (renamed into
                    // place after all its files), so the newest one is what latest names or is about to name.
                    int newest = versions(fs, home).stream().mapToInt(Integer::intValue).max().orElse(0);
                    if (newest == 0) {
                        throw new IllegalArgumentException("no model '" + name + "' in " + registry
                                + ": " + latest + " does not exist (train one first)");
                    }
                    v = "v" + newest;
                    System.err.println("[model] " + latest + " is missing (a bundle write was interrupted while "
                            + "replacing it); using the newest complete version, " + v);
                }
            } else if (version.matches("\\d+")) {
                v = "v" + version;
            }
            if (!VERSION.matcher(v).matches()) {
                throw new IllegalArgumentException("model.version must be latest, vN or N, found '" + version + "'");
            }
            return home + "/" + v;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The version {@code latest} names, or null when the file does not exist (also if it vanishes while read). */
    private static String readLatest(FileSystem fs, Path latest) throws IOException {
        try (FSDataInputStream in = fs.open(latest)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (java.io.FileNotFoundException e) {
            return null;
        }
    }

    /** Loads and checks a bundle folder; every problem is reported with the file it concerns. */
    public static ModelBundle load(Storage storage, String dir) {
        FileSystem fs = storage.fs(dir);
        List<String> missing = new ArrayList<>();
        try {
            if (!fs.exists(new Path(dir))) {
                throw new IllegalArgumentException("model bundle " + dir + " does not exist");
            }
            for (String part : PARTS) {
                if (!fs.exists(new Path(dir, part))) {
                    missing.add(part);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("model bundle " + dir + " is incomplete: missing " + missing);
        }
        JsonNode schema = storage.readJson(dir + "/" + SCHEMA);
        int sv = schema.path("schemaVersion").asInt(-1);
        if (sv != SCHEMA_VERSION) {
            throw new IllegalArgumentException("model bundle " + dir + ": schema version " + sv
                    + " is not supported by this build (expected " + SCHEMA_VERSION + ")");
        }
        MultiLayerNetwork net;
        try (InputStream in = fs.open(new Path(dir, NETWORK))) {
            byte[] bytes = in.readAllBytes();
            net = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes), false);
        } catch (Exception e) {
            throw new IllegalArgumentException("model bundle " + dir + ": " + NETWORK + " is corrupt or unreadable ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        }
        long expected = schema.path("parameters").asLong(-1);
        if (net.numParams() != expected) {
            throw new IllegalArgumentException("model bundle " + dir + ": " + NETWORK + " has " + net.numParams()
                    + " parameters but " + SCHEMA + " records " + expected);
        }
        long inputs = net.getLayerWiseConfigurations().getConf(0).getLayer() instanceof
                org.deeplearning4j.nn.conf.layers.FeedForwardLayer ff ? ff.getNIn() : -1;
        Normalizer normalizer = NormalizerJson.fromJson(storage.readJson(dir + "/" + NORMALIZATION));
        int features = schema.path("features").size();
        if (normalizer.features().size() != features || (inputs >= 0 && inputs != features)) {
            throw new IllegalArgumentException("model bundle " + dir + ": " + SCHEMA + " lists " + features
                    + " features, the normalization " + normalizer.features().size() + ", the network " + inputs);
        }
        ResidualCalibration cal = CalibrationJson.fromJson(storage.readJson(dir + "/" + CALIBRATION));
        if (cal.horizon() != schema.path("horizon").asInt()) {
            throw new IllegalArgumentException("model bundle " + dir + ": calibration horizon " + cal.horizon()
                    + " differs from the schema's " + schema.path("horizon").asInt());
        }
        return new ModelBundle(dir, net, normalizer, cal, schema, storage.readJson(dir + "/" + CONFIG),
                storage.readJson(dir + "/" + PROVENANCE), storage.readJson(dir + "/" + METRICS));
    }
}
