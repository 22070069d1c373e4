package io.tsforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.sql.Timestamp;
import java.util.TimeZone;
import org.apache.spark.sql.catalyst.util.DateTimeUtils;
import org.junit.jupiter.api.Test;

/** The pieces of prepare's internal-row path that do not need a Spark session. */
class PrepareInternalRowsTest {

    /** micros(ms) is what createDataFrame made of new Timestamp(ms), in time zones with and without calendar rebasing. */
    @Test
    void microsEqualSparksTimestampConversion() {
        TimeZone before = TimeZone.getDefault();
        long[] millis = {0L, 1_704_067_200_123L, -1L, PrepareFunctions.MODERN_MILLIS, PrepareFunctions.MODERN_MILLIS - 1,
            -2_500_000_000_000L, -12_219_292_800_000L, -13_000_000_000_000L, 4_102_444_800_999L};
        try {
            for (String zone : new String[]{"UTC", "America/Los_Angeles", "Asia/Kolkata", "Europe/Amsterdam",
                "Africa/Casablanca", "Pacific/Kiritimati"}) {
                TimeZone.setDefault(TimeZone.getTimeZone(zone));
                for (long ms : millis) {
                    assertEquals(DateTimeUtils.fromJavaTimestamp(new Timestamp(ms)), PrepareFunctions.micros(ms),
                            zone + " " + ms);
                }
            }
        } finally {
            TimeZone.setDefault(before);
        }
    }

    @Test
    void partitionCountsKeepOneCountPerPartition() {
        PartitionCounts a = new PartitionCounts();
        a.add(0, 10);
        a.add(1, 5);
        PartitionCounts retried = new PartitionCounts();
        retried.add(1, 5);
        retried.add(2, 7);
        a.merge(retried);
        assertEquals(22, a.total(3));
        assertEquals(-1, a.total(4), "a partition that did not report");
        assertThrows(IllegalStateException.class, () -> a.add(2, 8));
        PartitionCounts copy = (PartitionCounts) a.copy();
        a.reset();
        assertEquals(22, copy.total(3));
        assertEquals(true, a.isZero());
    }
}
