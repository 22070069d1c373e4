/**
 * Spark adapters: session set-up, reading raw input into a uniform string schema, and the per-partition functions
 * that run the core's series assembly, statistics and windowing inside executors. Business logic stays in
 * {@code io.tsforge.core}; this package only moves data.
 */
package io.tsforge.spark;
