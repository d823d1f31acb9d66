package org.modelmon.window;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Key of a window that is not final yet. Its binary form starts with the window end, so that a
 * store ordered by bytes iterates windows in the order they become final.
 *
 * @param endMillis window end (exclusive)
 * @param sizeMillis window length
 * @param model the model
 * @param version the version
 */
public record OpenWindowKey(long endMillis, long sizeMillis, String model, String version) {

  /**
   * Orders keys as their {@linkplain #toBytes() binary forms} compare, byte by byte and unsigned:
   * the order in which a store of them iterates, by window end first.
   */
  public static final Comparator<OpenWindowKey> BINARY_ORDER = OpenWindowKey::compareBinary;

  private static int compareBinary(final OpenWindowKey a, final OpenWindowKey b) {
    // The first 16 bytes are the end and the size, which compare as these longs do.
    int order = Long.compare(a.endMillis, b.endMillis);
    if (order == 0) {
      order = Long.compareUnsigned(a.sizeMillis, b.sizeMillis);
    }
    if (order != 0) {
      return order;
    }
    // A combining task compares keys equal so far, one per model, on every partial it adds. The
    // event rules keep names ASCII, whose UTF-8 is one byte per char in the same order: the model's
    // length, then the model and the version compare as the bytes do, with nothing encoded.
    if (isAscii(a.model) && isAscii(b.model) && isAscii(a.version) && isAscii(b.version)) {
      order = Integer.compare(a.model.length(), b.model.length());
      if (order == 0) {
        order = a.model.compareTo(b.model);
      }
      return order != 0 ? order : a.version.compareTo(b.version);
    }
    return Arrays.compareUnsigned(a.toBytes(), b.toBytes());
  }

  private static boolean isAscii(final String name) {
    for (int i = 0; i < name.length(); i++) {
      if (name.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /** Window start. */
  public long startMillis() {
    return endMillis - sizeMillis;
  }

  /** Binary form, ordered by end, then size, then model and version. */
  public byte[] toBytes() {
    final byte[] modelBytes = model.getBytes(StandardCharsets.UTF_8);
    final byte[] versionBytes = version.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + 8 + 2 + modelBytes.length + versionBytes.length)
        // Flipping the sign bit makes the big-endian bytes of a signed long sort like the long.
        .putLong(endMillis ^ Long.MIN_VALUE)
        .putLong(sizeMillis)
        .putShort((short) modelBytes.length)
        .put(modelBytes)
        .put(versionBytes)
        .array();
  }

  /** Reads the form written by {@link #toBytes()}. */
  public static OpenWindowKey fromBytes(final byte[] bytes) {
    final ByteBuffer buffer = ByteBuffer.wrap(bytes);
    final long end = buffer.getLong() ^ Long.MIN_VALUE;
    final long size = buffer.getLong();
    final int modelLength = buffer.getShort();
    final String model = new String(bytes, 18, modelLength, StandardCharsets.UTF_8);
    final int versionOffset = 18 + modelLength;
    final String version =
        new String(bytes, versionOffset, bytes.length - versionOffset, StandardCharsets.UTF_8);
    return new OpenWindowKey(end, size, model, version);
  }
}
