package org.modelmon.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** What the tests of the prediction and label parsers share: building values, checking refusals. */
final class InvalidEvents {

  private InvalidEvents() {}

  /**
   * Asserts that {@code call} refuses its input with {@code reason}, named first in the message.
   */
  static void assertRejected(final ThrowingCallable call, final InvalidReason reason) {
    assertThatThrownBy(call)
        .isInstanceOf(InvalidEventException.class)
        .satisfies(
            e ->
                assertThat(((InvalidEventException) e).reason())
                    .as(e.getMessage())
                    .isEqualTo(reason))
        .hasMessageStartingWith(reason + ": ");
  }

  static byte[] utf8(final String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] concat(final byte[] a, final byte[] b) {
    final byte[] joined = new byte[a.length + b.length];
    System.arraycopy(a, 0, joined, 0, a.length);
    System.arraycopy(b, 0, joined, a.length, b.length);
    return joined;
  }
}
