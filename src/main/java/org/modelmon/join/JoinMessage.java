package org.modelmon.join;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import org.modelmon.event.LabelValue;

/**
 * What the reading tasks send to the joining tasks over the join topic, keyed by {@link JoinKey}: a
 * prediction that waits for its label, a label, or the stream time of one input partition.
 *
 * <p>All three travel on one topic so that, per joining partition, a reading task's predictions and
 * labels always arrive before the stream time that covers them.
 */
public sealed interface JoinMessage {

  /**
   * A valid prediction without a label and with an id.
   *
   * @param model the model name
   * @param id the request id
   * @param prediction the prediction, scored on its prediction side
   * @param source the input record, for the dead-letter topic ({@code DUPLICATE_ID})
   */
  record Prediction(String model, String id, AwaitingPrediction prediction, SourceRecord source)
      implements JoinMessage {}

  /**
   * A valid label event.
   *
   * @param model the model name
   * @param id the request id of the prediction it labels
   * @param label the label as read, resolved against the prediction's classes at the join
   * @param outcomeTimeMillis the outcome time
   * @param source the input record, for the dead-letter topic
   */
  record Label(
      String model, String id, LabelValue label, long outcomeTimeMillis, SourceRecord source)
      implements JoinMessage {}

  /**
   * The stream time of one input partition: of the predictions topic's partition {@code source}, or
   * of the labels topic's partition {@code source − N} for N predictions partitions.
   *
   * @param source the input partition's index among all input partitions
   * @param streamTimeMillis its stream time
   */
  record StreamTime(int source, long streamTimeMillis) implements JoinMessage {}

  /** Binary form: a tag byte, then the message's fields. */
  static byte[] toBytes(final JoinMessage message) {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      if (message instanceof Prediction prediction) {
        out.writeByte('P');
        out.writeUTF(prediction.model());
        out.writeUTF(prediction.id());
        prediction.prediction().writeTo(out);
        prediction.source().writeTo(out);
      } else if (message instanceof Label label) {
        out.writeByte('L');
        out.writeUTF(label.model());
        out.writeUTF(label.id());
        writeLabel(out, label.label());
        out.writeLong(label.outcomeTimeMillis());
        label.source().writeTo(out);
      } else {
        final StreamTime streamTime = (StreamTime) message;
        out.writeByte('T');
        out.writeInt(streamTime.source());
        out.writeLong(streamTime.streamTimeMillis());
      }
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Reads the form written by {@link #toBytes}. */
  static JoinMessage fromBytes(final byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      final byte tag = in.readByte();
      return switch (tag) {
        case 'P' ->
            new Prediction(
                in.readUTF(),
                in.readUTF(),
                AwaitingPrediction.readFrom(in),
                SourceRecord.readFrom(in));
        case 'L' ->
            new Label(
                in.readUTF(),
                in.readUTF(),
                readLabel(in),
                in.readLong(),
                SourceRecord.readFrom(in));
        case 'T' -> new StreamTime(in.readInt(), in.readLong());
        default -> throw new IllegalArgumentException("unknown join message tag " + tag);
      };
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeLabel(final DataOutputStream out, final LabelValue label)
      throws IOException {
    out.writeByte(label.kind().ordinal());
    switch (label.kind()) {
      case NAME -> out.writeUTF(label.name());
      case INTEGER -> {
        final BigDecimal value = label.integerValue();
        out.writeInt(value.scale());
        final byte[] unscaled = value.unscaledValue().toByteArray();
        out.writeInt(unscaled.length);
        out.write(unscaled);
      }
      case BOOLEAN -> out.writeBoolean(label.booleanValue());
    }
  }

  private static LabelValue readLabel(final DataInputStream in) throws IOException {
    final LabelValue.Kind kind = LabelValue.Kind.values()[in.readByte()];
    return switch (kind) {
      case NAME -> LabelValue.ofName(in.readUTF());
      case INTEGER -> {
        final int scale = in.readInt();
        final byte[] unscaled = new byte[in.readInt()];
        in.readFully(unscaled);
        yield LabelValue.ofInteger(new BigDecimal(new BigInteger(unscaled), scale));
      }
      case BOOLEAN -> LabelValue.ofBoolean(in.readBoolean());
    };
  }
}
