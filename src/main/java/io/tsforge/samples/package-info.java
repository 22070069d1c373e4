/**
 * Generator of the project's own small sample data; imports only the JDK.
 * See {@link io.tsforge.samples.SampleDataGenerator}.
 */
package io.tsforge.samples;
