package org.modelmon.bench;

/**
 * Something that watches a (model, version)'s final windows one by one and is either alarming or
 * not after each: the drift detector and the peers {@link DetectorBench} compares it with.
 */
interface WindowMonitor {

  /** A name for the tables. */
  String name();

  /**
   * Sees the next final window, in window order.
   *
   * @param index the window's index from the start of the series
   * @param startMillis the window's start
   * @param sums the window's sums
   * @return whether the monitor is alarming after this window
   */
  boolean step(int index, long startMillis, DriftTraffic.WindowSums sums);
}
