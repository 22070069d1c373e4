/**
 * The evaluate job's human-facing output: markdown tables and a self-contained HTML report whose PNG charts (drawn
 * with XChart, headless) are embedded as base64. Takes plain Java data from the driver; imports no Spark, DL4J or ND4J.
 */
package io.tsforge.report;
