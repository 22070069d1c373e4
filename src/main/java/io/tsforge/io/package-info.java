/**
 * Reading and writing small JSON documents (summaries, statistics, bundle metadata) through Hadoop's FileSystem, so
 * the same code works on local disk, HDFS or object stores. Imports Jackson and Hadoop, never Spark or DL4J.
 */
package io.tsforge.io;
