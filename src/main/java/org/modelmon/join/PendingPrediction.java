package org.modelmon.join;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * What the join keeps of a prediction with an id and without an inline label, until its horizon has
 * passed: the prediction while it waits for its label, then only that it was joined, so that a
 * second label for it is a {@code DUPLICATE_LABEL} rather than an unmatched one.
 */
public sealed interface PendingPrediction {

  /** The prediction's event time. */
  long predictionTimeMillis();

  /**
   * A prediction waiting for its label.
   *
   * @param prediction the prediction, scored on its prediction side
   */
  record Awaiting(AwaitingPrediction prediction) implements PendingPrediction {
    @Override
    public long predictionTimeMillis() {
      return prediction.predictionTimeMillis();
    }
  }

  /**
   * A prediction that a label joined.
   *
   * @param predictionTimeMillis the prediction's event time
   * @param version its model version
   */
  record Joined(long predictionTimeMillis, String version) implements PendingPrediction {}

  /** Binary form: a tag byte, then the fields. */
  static byte[] toBytes(final PendingPrediction pending) {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      if (pending instanceof Awaiting awaiting) {
        out.writeByte('A');
        awaiting.prediction().writeTo(out);
      } else {
        final Joined joined = (Joined) pending;
        out.writeByte('J');
        out.writeLong(joined.predictionTimeMillis());
        out.writeUTF(joined.version());
      }
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Reads the form written by {@link #toBytes}. */
  static PendingPrediction fromBytes(final byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      final byte tag = in.readByte();
      return switch (tag) {
        case 'A' -> new Awaiting(AwaitingPrediction.readFrom(in));
        case 'J' -> new Joined(in.readLong(), in.readUTF());
        default -> throw new IllegalArgumentException("unknown pending prediction tag " + tag);
      };
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
