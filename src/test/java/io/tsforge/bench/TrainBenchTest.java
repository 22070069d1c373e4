package io.tsforge.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The training bench's grouping of threads by name, digits dropped (what its regex did before). */
class TrainBenchTest {

    @Test
    void threadNamesGroupWithEachRunOfDigitsAsOneHash() {
        String[] names = {"Executor task launch worker-12", "C2 CompilerThread0", "dispatcher-event-loop-1",
            "main", "42", "a1b22c333 ", "", "GC Thread#3", "7up"};
        for (String n : names) {
            assertEquals(n.replaceAll("[0-9]+", "#").trim(), TrainBench.digitsToHash(n), n);
        }
        assertEquals("Executor task launch worker-#", TrainBench.digitsToHash("Executor task launch worker-12"));
    }
}
