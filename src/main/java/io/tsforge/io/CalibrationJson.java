package io.tsforge.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tsforge.core.ResidualCalibration;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/** {@link ResidualCalibration} as JSON: per series (and globally) one entry per horizon step. */
public final class CalibrationJson {

    public static final int FORMAT_VERSION = 1;

    private CalibrationJson() {
    }

    public static ObjectNode toJson(ResidualCalibration c) {
        ObjectNode root = Storage.JSON.createObjectNode();
        root.put("formatVersion", FORMAT_VERSION);
        root.put("horizon", c.horizon());
        root.put("minCount", c.minCount());
        root.put("residual", "actual - forecast, normalized units");
        ArrayNode lv = root.putArray("levels");
        for (double l : c.levels()) {
            lv.add(l);
        }
        root.set("global", steps(c.global()));
        ObjectNode per = root.putObject("series");
        c.perSeries().forEach((k, v) -> per.set(k, steps(v)));
        return root;
    }

    private static ArrayNode steps(ResidualCalibration.Step[] steps) {
        ArrayNode a = Storage.JSON.createArrayNode();
        for (ResidualCalibration.Step s : steps) {
            ObjectNode n = a.addObject();
            n.put("count", s.count());
            n.put("mean", s.mean());
            n.put("std", s.std());
            n.put("median", s.median());
            n.put("scale", s.scale());
            ArrayNode q = n.putArray("quantiles");
            for (double v : s.quantiles()) {
                q.add(v);
            }
        }
        return a;
    }

    public static ResidualCalibration fromJson(JsonNode root) {
        int version = root.path("formatVersion").asInt(-1);
        if (version != FORMAT_VERSION) {
            throw new IllegalArgumentException("calibration: formatVersion " + version + " is not supported (expected "
                    + FORMAT_VERSION + ")");
        }
        int horizon = root.path("horizon").asInt();
        double[] levels = new double[root.path("levels").size()];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = root.path("levels").get(i).asDouble();
        }
        Map<String, ResidualCalibration.Step[]> per = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = root.path("series").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            per.put(e.getKey(), readSteps(e.getValue(), horizon));
        }
        return new ResidualCalibration(horizon, levels, per, readSteps(root.path("global"), horizon),
                root.path("minCount").asInt());
    }

    private static ResidualCalibration.Step[] readSteps(JsonNode a, int horizon) {
        if (a.size() != horizon) {
            throw new IllegalArgumentException("calibration: " + a.size() + " steps where the horizon is " + horizon);
        }
        ResidualCalibration.Step[] s = new ResidualCalibration.Step[horizon];
        for (int k = 0; k < horizon; k++) {
            JsonNode n = a.get(k);
            double[] q = new double[n.path("quantiles").size()];
            for (int i = 0; i < q.length; i++) {
                q[i] = n.path("quantiles").get(i).asDouble();
            }
            s[k] = new ResidualCalibration.Step(n.path("count").asLong(), n.path("mean").asDouble(),
                    n.path("std").asDouble(), n.path("median").asDouble(), n.path("scale").asDouble(), q);
        }
        return s;
    }
}
