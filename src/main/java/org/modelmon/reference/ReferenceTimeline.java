package org.modelmon.reference;

import java.util.Arrays;

/**
 * The effective reference of one (model, version) over time: from each breakpoint on, until the
 * next, one reference or none. Immutable, so that a stream thread can keep it for as long as the
 * references store is unchanged.
 */
final class ReferenceTimeline {

  static final ReferenceTimeline NONE = new ReferenceTimeline(new long[0], new Reference[0]);

  private final long[] fromMillis;
  private final Reference[] references;

  /**
   * @param fromMillis breakpoints, strictly increasing
   * @param references the reference from each breakpoint on; {@code null} for none
   */
  ReferenceTimeline(final long[] fromMillis, final Reference[] references) {
    this.fromMillis = fromMillis;
    this.references = references;
  }

  /** The reference in force at {@code timeMillis}, or {@code null}. */
  Reference at(final long timeMillis) {
    final int last = fromMillis.length - 1;
    // Nearly every event falls after the latest change: one comparison, no search.
    if (last < 0 || timeMillis >= fromMillis[last]) {
      return last < 0 ? null : references[last];
    }
    final int found = Arrays.binarySearch(fromMillis, 0, last, timeMillis);
    final int index = found >= 0 ? found : -found - 2; // the greatest breakpoint <= timeMillis
    return index < 0 ? null : references[index];
  }

  /**
   * The timeline of a version: the version-specific reference wherever one is in force, the
   * model-wide one elsewhere.
   */
  static ReferenceTimeline preferring(
      final ReferenceTimeline specific, final ReferenceTimeline modelWide) {
    if (specific.fromMillis.length == 0) {
      return modelWide;
    }
    final long[] merged = new long[specific.fromMillis.length + modelWide.fromMillis.length];
    System.arraycopy(specific.fromMillis, 0, merged, 0, specific.fromMillis.length);
    System.arraycopy(
        modelWide.fromMillis, 0, merged, specific.fromMillis.length, modelWide.fromMillis.length);
    Arrays.sort(merged);
    final long[] from = new long[merged.length];
    final Reference[] references = new Reference[merged.length];
    int n = 0;
    for (final long time : merged) {
      if (n > 0 && from[n - 1] == time) {
        continue;
      }
      final Reference own = specific.at(time);
      from[n] = time;
      references[n] = own != null ? own : modelWide.at(time);
      n++;
    }
    return new ReferenceTimeline(Arrays.copyOf(from, n), Arrays.copyOf(references, n));
  }
}
