package org.modelmon.config;

import java.time.Duration;

/**
 * One tumbling window size.
 *
 * @param label the size as the user configured it ({@code "5m"}); the {@code window} metric label
 *     and the window part of window-record keys
 * @param size the window length
 */
public record WindowSpec(String label, Duration size) {

  /** The window length in milliseconds. */
  public long sizeMillis() {
    return size.toMillis();
  }
}
