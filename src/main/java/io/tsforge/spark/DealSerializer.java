package io.tsforge.spark;

import org.apache.spark.serializer.DeserializationStream;
import org.apache.spark.serializer.SerializationStream;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.serializer.SerializerInstance;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import scala.reflect.ClassTag;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * The serializer of the deal's shuffle ({@code (slot, minibatch)} pairs, see {@link RoundTrainingMaster}): slots as
 * longs, minibatches as their features, labels and masks in ND4J's binary format.
 *
 * <p>Spark's shuffle writer opens one serialization stream per output partition (rounds x workers of them) and
 * Spark's Kryo pool keeps 8 Kryo instances, so with Kryo every epoch built new ones (each registering Scala's and
 * ND4J's classes): measured as most of the deal's shuffle time. A new instance of this serializer costs nothing.
 */
final class DealSerializer extends Serializer implements Serializable {

    private static final byte LONG = 0;
    private static final byte DATA_SET = 1;

    @Override
    public SerializerInstance newInstance() {
        return new Instance();
    }

    static void write(DataOutputStream out, Object o) throws IOException {
        if (o instanceof Long l) {
            out.writeByte(LONG);
            out.writeLong(l);
        } else if (o instanceof DataSet d) {
            out.writeByte(DATA_SET);
            INDArray[] arrays = {d.getFeatures(), d.getLabels(), d.getFeaturesMaskArray(), d.getLabelsMaskArray()};
            int present = 0;
            for (int i = 0; i < arrays.length; i++) {
                present |= arrays[i] == null ? 0 : 1 << i;
            }
            out.writeByte(present);
            for (INDArray a : arrays) {
                if (a != null) {
                    Nd4j.write(a, out);
                }
            }
        } else {
            throw new IllegalArgumentException("the deal's shuffle holds slots (Long) and minibatches (DataSet), found "
                    + (o == null ? "null" : o.getClass().getName()));
        }
    }

    static Object read(DataInputStream in) throws IOException {
        int tag = in.read();
        if (tag < 0) {
            throw new EOFException();
        }
        if (tag == LONG) {
            return in.readLong();
        }
        if (tag != DATA_SET) {
            throw new IOException("corrupt deal shuffle: record tag " + tag);
        }
        int present = in.readByte();
        INDArray[] arrays = new INDArray[4];
        for (int i = 0; i < arrays.length; i++) {
            if ((present & 1 << i) != 0) {
                arrays[i] = Nd4j.read(in);
            }
        }
        return new DataSet(arrays[0], arrays[1], arrays[2], arrays[3]);
    }

    private static final class Instance extends SerializerInstance {
        @Override
        public <T> ByteBuffer serialize(T t, ClassTag<T> tag) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                write(out, t);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return ByteBuffer.wrap(bytes.toByteArray());
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T deserialize(ByteBuffer bytes, ClassTag<T> tag) {
            byte[] b = new byte[bytes.remaining()];
            bytes.get(b);
            try {
                return (T) read(new DataInputStream(new ByteArrayInputStream(b)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public <T> T deserialize(ByteBuffer bytes, ClassLoader loader, ClassTag<T> tag) {
            return deserialize(bytes, tag);
        }

        @Override
        public SerializationStream serializeStream(OutputStream s) {
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s));
            return new SerializationStream() {
                @Override
                public <T> SerializationStream writeObject(T t, ClassTag<T> tag) {
                    try {
                        write(out, t);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    return this;
                }

                @Override
                public void flush() {
                    try {
                        out.flush();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }

                @Override
                public void close() {
                    try {
                        out.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            };
        }

        @Override
        public DeserializationStream deserializeStream(InputStream s) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(s));
            return new DeserializationStream() {
                @Override
                @SuppressWarnings("unchecked")
                public <T> T readObject(ClassTag<T> tag) {
                    try {
                        return (T) read(in);
                    } catch (EOFException e) {
                        // Spark's iterators end on EOFException
                        throw sneaky(e);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }

                @Override
                public void close() {
                    try {
                        in.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            };
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> RuntimeException sneaky(Throwable e) throws E {
        throw (E) e;
    }
}
