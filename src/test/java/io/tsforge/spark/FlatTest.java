package io.tsforge.spark;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link LeanRounds.Flat}: bulk copies in and out of ND4J arrays, and the mean ND4J's addi/divi would give. */
class FlatTest {

    /** The values in c order, as doubles (ND4J's toDoubleVector takes vectors only). */
    private static double[] values(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    private static INDArray matrix(DataType type) {
        return Nd4j.rand(DataType.DOUBLE, 5, 7).subi(0.5).muli(1e3).castTo(type);
    }

    @Test
    void copiesOutWhatToVectorGivesForDenseArraysViewsAndOtherTypes() {
        for (DataType type : List.of(DataType.FLOAT, DataType.DOUBLE, DataType.HALF)) {
            INDArray m = matrix(type);
            // dense, a row view (offset into the buffer), a column view (strided), a block view, a transpose
            for (INDArray a : List.of(m, m.getRow(3), m.getColumn(2), m.get(NDArrayIndex.interval(1, 4),
                    NDArrayIndex.all()), m.transpose())) {
                LeanRounds.Flat f = LeanRounds.Flat.of(a);
                assertArrayEquals(values(a), values(f.array()), 0.0, type + " " + a.shapeInfoToString());
                assertArrayEquals(a.shape(), f.array().shape());
                assertEquals(a.dataType(), f.array().dataType());
                LeanRounds.Flat back = LeanRounds.Flat.fromMessage(LeanRounds.Flat.message(f));
                assertArrayEquals(values(a), values(back.array()), 0.0);
            }
        }
    }

    @Test
    void copiesIntoDenseArraysViewsAndOtherTypesWithoutTouchingTheRest() {
        for (DataType type : List.of(DataType.FLOAT, DataType.DOUBLE, DataType.HALF)) {
            INDArray m = matrix(type);
            INDArray before = m.dup();
            INDArray row = Nd4j.rand(DataType.DOUBLE, 1, 7).castTo(type);
            LeanRounds.Flat.of(row).copyInto(m.getRow(2));
            for (int r = 0; r < 5; r++) {
                assertArrayEquals((r == 2 ? row : before.getRow(r)).toDoubleVector(), m.getRow(r).toDoubleVector(),
                        0.0, type + " row " + r);
            }
            before = m.dup();
            INDArray col = Nd4j.rand(DataType.DOUBLE, 5, 1).castTo(type);
            LeanRounds.Flat.of(col).copyInto(m.getColumn(4));
            assertArrayEquals(values(col), values(m.getColumn(4)), 0.0);
            for (int c = 0; c < 4; c++) {
                assertArrayEquals(values(before.getColumn(c)), values(m.getColumn(c)), 0.0, type + " column " + c);
            }
            INDArray whole = matrix(type);
            LeanRounds.Flat.of(whole).copyInto(m);
            assertArrayEquals(values(whole), values(m), 0.0);
            // into an f-order array: the values in c order of its shape
            INDArray f = Nd4j.create(type, new long[]{5, 7}, 'f');
            LeanRounds.Flat.of(whole).copyInto(f);
            assertArrayEquals(values(whole), values(f), 0.0);
            assertThrows(IllegalArgumentException.class, () -> LeanRounds.Flat.of(row).copyInto(m));
        }
    }

    @Test
    void arraysAreDenseNotViewsAndBufferPrefixViewsAreCopiedInPlace() {
        for (DataType type : List.of(DataType.FLOAT, DataType.DOUBLE, DataType.HALF)) {
            INDArray m = matrix(type);
            // a network built on given parameters keeps the array itself: it must not be a view (a view's
            // parameters took the slow element-wise copies every averaging round)
            INDArray a = LeanRounds.Flat.of(m).array();
            assertFalse(a.isView(), type.toString());
            assertEquals('c', a.ordering());
            assertArrayEquals(values(m), values(a), 0.0);
            // a reshape of a dense array is a view over its whole buffer; the first row one over its start
            INDArray dense = Nd4j.create(type, 5, 7);
            INDArray flat = dense.reshape('c', 1, 35);
            LeanRounds.Flat.of(m).copyInto(flat);
            assertArrayEquals(values(m), values(dense), 0.0, type + " into a reshape view");
            assertArrayEquals(values(m), values(LeanRounds.Flat.of(flat).array().reshape(5, 7)), 0.0);
            INDArray before = dense.dup();
            INDArray row = Nd4j.rand(DataType.DOUBLE, 1, 7).castTo(type);
            LeanRounds.Flat.of(row).copyInto(dense.getRow(0));
            assertArrayEquals(values(row), values(dense.getRow(0)), 0.0, type + " into the first row");
            for (int r = 1; r < 5; r++) {
                assertArrayEquals(values(before.getRow(r)), values(dense.getRow(r)), 0.0, type + " row " + r);
            }
            assertArrayEquals(values(dense.getRow(0)), values(LeanRounds.Flat.of(dense.getRow(0)).array()), 0.0);
        }
        // empty arrays keep working
        INDArray empty = Nd4j.create(DataType.FLOAT, 0);
        assertEquals(0, LeanRounds.Flat.of(empty).array().length());
    }

    @Test
    void theMeanIsNd4jsSumInOrderDividedByTheCount() {
        for (DataType type : List.of(DataType.FLOAT, DataType.DOUBLE)) {
            INDArray a = matrix(type);
            INDArray b = matrix(type);
            INDArray c = matrix(type);
            a.putScalar(0, 0, 1e30);
            b.putScalar(0, 0, 1e30);
            c.putScalar(0, 0, -1e30);
            INDArray want = a.dup().addi(b).addi(c).divi(3);
            LeanRounds.Flat got = LeanRounds.Flat.mean(List.of(LeanRounds.Flat.of(a), LeanRounds.Flat.of(b),
                    LeanRounds.Flat.of(c)));
            assertArrayEquals(values(want), values(got.array()), 0.0, type.toString());
            assertArrayEquals(values(a), values(LeanRounds.Flat.mean(List.of(LeanRounds.Flat.of(a))).array()), 0.0);
        }
        assertThrows(IllegalArgumentException.class, () -> LeanRounds.Flat.mean(List.of(
                LeanRounds.Flat.of(matrix(DataType.FLOAT)), LeanRounds.Flat.of(matrix(DataType.FLOAT).reshape(7, 5)))));
    }
}
