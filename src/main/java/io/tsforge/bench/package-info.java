/**
 * Benchmark harnesses: programs that print figures (throughput, peak memory), run by {@code jobs/bench-*.sh}, never
 * by the test suite.
 */
package io.tsforge.bench;
