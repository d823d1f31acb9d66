package org.modelmon.reference;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The layout of the references store: every reference of every record key with the time it is in
 * force from, so that a lookup finds the reference in force at any event time and a replay finds
 * what the live run found.
 *
 * <p>One entry per (record key, record timestamp): store key {@code key#ttttttttttttttttttt} (the
 * timestamp as 19 zero-padded decimal digits, so that the store's byte order is time order), value
 * the raw record value of a valid reference, or an empty array when a tombstone ended the
 * reference from that time on. Invalid records are never stored. Record keys are model names or
 * {@code model@version}, whose characters all sort after {@code #}, so the entries of one key are
 * exactly the store keys from {@code key#} to {@code key$}.
 *
 * <p>Besides the entries the store keeps, per source partition, the next offset the updater has
 * not yet applied ({@link #offsetKey}); keys starting with {@code #} are no record key's.
 */
public final class ReferenceHistory {

  /**
   * How long a superseded reference is kept: an entry is dropped once a later one of the same key
   * took over more than this before the key's newest entry. A lookup for an older time finds the
   * oldest entry kept (or none before it). Thirty days covers any backlog or replay that the
   * compacted references topic itself still holds (see {@code min.compaction.lag.ms}).
   */
  public static final Duration RETENTION = Duration.ofDays(30);

  /** Stored for a tombstone: no reference from this entry's time on. */
  static final byte[] ENDED = new byte[0];

  private static final char SEPARATOR = '#';
  private static final char AFTER_SEPARATOR = '$';
  private static final int TIME_DIGITS = 19;

  private ReferenceHistory() {}

  /** The store key of {@code recordKey}'s reference in force from {@code fromMillis}. */
  public static String entryKey(final String recordKey, final long fromMillis) {
    final String digits = Long.toString(Math.max(0, fromMillis));
    return recordKey + SEPARATOR + "0".repeat(TIME_DIGITS - digits.length()) + digits;
  }

  /** The time an entry's reference is in force from. */
  public static long fromMillis(final String entryKey) {
    return Long.parseLong(entryKey.substring(entryKey.length() - TIME_DIGITS));
  }

  /**
   * The store key of the next offset to apply of source {@code topic} and {@code partition}; its
   * value is {@link #encodeOffset}.
   */
  public static String offsetKey(final String topic, final int partition) {
    return SEPARATOR + "next-offset " + topic + " " + partition;
  }

  public static byte[] encodeOffset(final long offset) {
    return ByteBuffer.allocate(Long.BYTES).putLong(offset).array();
  }

  public static long decodeOffset(final byte[] value) {
    return ByteBuffer.wrap(value).getLong();
  }

  /** Whether an entry's value ends the reference rather than being one. */
  public static boolean isEnded(final byte[] value) {
    return value.length == 0;
  }

  /** The value stored for a tombstone. */
  public static byte[] ended() {
    return ENDED.clone();
  }

  /** Every entry of {@code recordKey}, oldest first. */
  public static List<KeyValue<String, byte[]>> entries(
      final ReadOnlyKeyValueStore<String, byte[]> store, final String recordKey) {
    final List<KeyValue<String, byte[]>> entries = new ArrayList<>(2);
    try (KeyValueIterator<String, byte[]> range =
        store.range(recordKey + SEPARATOR, recordKey + AFTER_SEPARATOR)) {
      range.forEachRemaining(entries::add);
    }
    return entries;
  }

  /**
   * The reference of {@code model} at {@code version} in force at {@code atMillis}, parsed: the
   * version-specific one if one is in force then, else the model-wide one, else {@code null}. For
   * occasional lookups (the HTTP API); the stream threads use {@link ReferenceCache}.
   */
  public static Reference inForce(
      final ReadOnlyKeyValueStore<String, byte[]> store,
      final ReferenceParser parser,
      final String model,
      final String version,
      final long atMillis) {
    if (!version.isEmpty()) {
      final Reference specific =
          at(store, parser, ReferenceParser.key(model, version), atMillis);
      if (specific != null) {
        return specific;
      }
    }
    return at(store, parser, model, atMillis);
  }

  private static Reference at(
      final ReadOnlyKeyValueStore<String, byte[]> store,
      final ReferenceParser parser,
      final String recordKey,
      final long atMillis) {
    KeyValue<String, byte[]> inForce = null;
    for (final KeyValue<String, byte[]> entry : entries(store, recordKey)) {
      if (fromMillis(entry.key) > atMillis) {
        break;
      }
      inForce = entry;
    }
    if (inForce == null || isEnded(inForce.value)) {
      return null;
    }
    try {
      return parser.parse(recordKey, inForce.value);
    } catch (InvalidReferenceException e) {
      return null; // never stored by the updater; a store written by other means
    }
  }
}
