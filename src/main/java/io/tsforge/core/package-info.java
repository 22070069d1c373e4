/**
 * The Spark-free core: parsing raw values, assembling a series (de-duplication, resampling, gap filling,
 * segmentation), time splits, mergeable statistics, fitted normalizers and window cutting.
 * Imports only the JDK, so everything here is unit-tested with plain JUnit and reused unchanged inside
 * Spark partitions.
 */
package io.tsforge.core;
