/**
 * Spark-free evaluation: forecast error accumulators that merge (MAE, RMSE, sMAPE, MASE, normalized MSE/MAE), the
 * naive baselines, anomaly labels, plain and point-adjusted detection metrics, and the NAB scorer with its
 * corpus-wide threshold optimisation. Imports the JDK and Jackson (for label and profile files) only: no Spark, DL4J
 * or ND4J, so everything here is tested with plain JUnit and reused unchanged inside Spark partitions.
 */
package io.tsforge.eval;
