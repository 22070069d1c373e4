/**
 * Deeplearning4j: building networks from config, turning windows into tensors, the model bundle (network,
 * normalizer, calibration, schema, provenance, metrics) and its validated loading. Imports DL4J/ND4J and the core,
 * never Spark.
 */
package io.tsforge.model;
