/**
 * One class per job: {@code XJob.run(SparkSession, XConfig, RunReport)} does the work; {@link io.tsforge.jobs.Main}
 * only parses the command line, validates the config before Spark starts and reports failures in one line.
 */
package io.tsforge.jobs;
