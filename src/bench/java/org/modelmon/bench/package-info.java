/**
 * Benchmarks run by {@code bin/bench}: JMH benchmarks of the per-event hot path, and harnesses that
 * measure the whole application against a real broker. Figures and how to read them are in
 * docs/BENCHMARKS.md. Compiled with the tests so they keep building; never run by CI.
 */
package org.modelmon.bench;
