package org.modelmon.join;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An entry of the join's deadline index: the time after which a waiting prediction expires or a
 * waiting label is unmatched. Its binary form orders entries by kind, then deadline, as unsigned
 * bytes compare, so that a range scan finds every entry whose deadline has passed.
 *
 * @param kind what waits
 * @param deadlineMillis the last event time at which it can still be joined
 * @param joinKey the (model, id) it waits under ({@link JoinKey})
 */
public record JoinDeadline(Kind kind, long deadlineMillis, String joinKey) {

  /** What waits, and so which store holds it. */
  public enum Kind {
    /** A prediction, until prediction time + horizon. */
    PREDICTION((byte) 'P'),
    /** A label that came before its prediction, until outcome time + early. */
    LABEL((byte) 'L');

    private final byte tag;

    Kind(final byte tag) {
      this.tag = tag;
    }
  }

  /** The binary form. */
  public byte[] toBytes() {
    final byte[] key = joinKey.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + 8 + key.length)
        .put(kind.tag)
        .putLong(orderable(deadlineMillis))
        .put(key)
        .array();
  }

  /** Reads the form written by {@link #toBytes}. */
  public static JoinDeadline fromBytes(final byte[] bytes) {
    final ByteBuffer buffer = ByteBuffer.wrap(bytes);
    final byte tag = buffer.get();
    final Kind kind = tag == Kind.PREDICTION.tag ? Kind.PREDICTION : Kind.LABEL;
    final long deadline = orderable(buffer.getLong());
    return new JoinDeadline(
        kind,
        deadline,
        new String(Arrays.copyOfRange(bytes, 9, bytes.length), StandardCharsets.UTF_8));
  }

  /**
   * The first possible key of {@code kind} with a deadline of at least {@code deadlineMillis}: the
   * bound of a range scan.
   */
  public static byte[] lowerBound(final Kind kind, final long deadlineMillis) {
    return ByteBuffer.allocate(9).put(kind.tag).putLong(orderable(deadlineMillis)).array();
  }

  /** Flips the sign bit, so that signed times order as unsigned bytes; its own inverse. */
  private static long orderable(final long millis) {
    return millis ^ Long.MIN_VALUE;
  }
}
