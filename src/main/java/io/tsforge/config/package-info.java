/**
 * Typed, validated configuration: every key is declared once in {@link io.tsforge.config.ConfigKeys} with its type,
 * default and description; {@link io.tsforge.config.Config} loads a properties file plus {@code --set} overrides and
 * rejects unknown keys; the job records built from it validate their values in their constructors. Imports the core,
 * never Spark.
 */
package io.tsforge.config;
