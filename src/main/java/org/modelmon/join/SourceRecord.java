package org.modelmon.join;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An input record as it was read, kept so that a prediction or label rejected at the join goes to
 * the dead-letter topic byte-identical, with its original headers and coordinates, like one
 * rejected when it was read.
 *
 * @param key the record key's bytes, or {@code null}
 * @param value the record value's bytes
 * @param headers the record's headers, in order
 * @param timestampMillis the record timestamp
 * @param topic the topic it was read from
 * @param partition its partition
 * @param offset its offset
 */
public record SourceRecord(
    byte[] key,
    byte[] value,
    List<Header> headers,
    long timestampMillis,
    String topic,
    int partition,
    long offset) {

  /**
   * One record header.
   *
   * @param key the header's name
   * @param value its bytes, or {@code null}
   */
  public record Header(String key, byte[] value) {}

  public SourceRecord {
    headers = List.copyOf(headers);
  }

  void writeTo(final DataOutputStream out) throws IOException {
    writeBytes(out, key);
    writeBytes(out, value);
    out.writeInt(headers.size());
    for (final Header header : headers) {
      writeBytes(out, header.key().getBytes(StandardCharsets.UTF_8));
      writeBytes(out, header.value());
    }
    out.writeLong(timestampMillis);
    out.writeUTF(topic);
    out.writeInt(partition);
    out.writeLong(offset);
  }

  static SourceRecord readFrom(final DataInputStream in) throws IOException {
    final byte[] key = readBytes(in);
    final byte[] value = readBytes(in);
    final int headerCount = in.readInt();
    final List<Header> headers = new ArrayList<>(headerCount);
    for (int h = 0; h < headerCount; h++) {
      headers.add(new Header(new String(readBytes(in), StandardCharsets.UTF_8), readBytes(in)));
    }
    return new SourceRecord(
        key, value, headers, in.readLong(), in.readUTF(), in.readInt(), in.readLong());
  }

  private static void writeBytes(final DataOutputStream out, final byte[] bytes)
      throws IOException {
    if (bytes == null) {
      out.writeInt(-1);
    } else {
      out.writeInt(bytes.length);
      out.write(bytes);
    }
  }

  private static byte[] readBytes(final DataInputStream in) throws IOException {
    final int length = in.readInt();
    if (length < 0) {
      return null;
    }
    final byte[] bytes = new byte[length];
    in.readFully(bytes);
    return bytes;
  }
}
