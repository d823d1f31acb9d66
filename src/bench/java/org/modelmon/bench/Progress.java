package org.modelmon.bench;

/** Prints how far a long step is, every tenth of the way, to stderr (stdout holds the figures). */
final class Progress {

  private final String step;
  private long nextReport;

  Progress(final String step) {
    this.step = step;
  }

  void report(final long done, final long total) {
    if (done >= nextReport) {
      System.err.printf("  %s: %d / %d%n", step, done, total);
      nextReport = done + Math.max(1, total / 10);
    }
  }
}
