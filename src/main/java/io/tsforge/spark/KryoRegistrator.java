package io.tsforge.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import io.tsforge.core.AssembledSeries;
import io.tsforge.core.Segment;
import io.tsforge.core.StatsAccumulator;
import org.nd4j.kryo.Nd4jRegistrator;

/**
 * ND4J's registrator (INDArrays, DataSets) plus the project's own records, which Kryo 4 cannot rebuild field by field
 * (Java records have final fields): those use Java serialization inside Kryo.
 */
public final class KryoRegistrator extends Nd4jRegistrator {
    @Override
    public void registerClasses(Kryo kryo) {
        super.registerClasses(kryo);
        // Any record (normalizers, calibrations, specs) falls back to Java serialization: Kryo 4 cannot set the final
        // fields of a record.
        kryo.addDefaultSerializer(Record.class, JavaSerializer.class);
        kryo.register(AssembledSeries.class, new JavaSerializer());
        kryo.register(Segment.class, new JavaSerializer());
        kryo.register(StatsAccumulator.class, new JavaSerializer());
        kryo.register(TrainingData.SegmentWindows.class, new JavaSerializer());
        kryo.register(ValidationScorer.Totals.class, new JavaSerializer());
    }
}
