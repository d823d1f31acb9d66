package org.modelmon.reference;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads reference histories from the global references store ({@link ReferenceHistory}) and
 * parses each reference once per update, not once per event.
 *
 * <p>The timeline of each (model, version) — which reference is in force from when on — is
 * resolved once and kept until the store is written to ({@link ReferenceGeneration}), so an event
 * costs two hash lookups and, nearly always, one comparison, not store reads. A cached parse is
 * reused for as long as the stored bytes are unchanged. Confined to one stream thread.
 */
public final class ReferenceCache implements ReferenceLookup {

  private static final Logger LOG = LoggerFactory.getLogger(ReferenceCache.class);

  private record Parsed(byte[] raw, Reference reference) {}

  /**
   * Resolved (model, version) pairs kept at most. Lookups come before admission ({@code
   * modelmon.max.models}), so a flood of made-up model names must not grow the cache for ever.
   */
  static final int MAX_RESOLVED = 10_000;

  /** Parsed store entries kept at most; beyond, the parses start over. */
  private static final int MAX_PARSED = 4 * MAX_RESOLVED;

  private final ReadOnlyKeyValueStore<String, byte[]> store;
  private final ReferenceParser parser;
  private final ReferenceGeneration generation;
  /** Store key of a history entry → its parse. */
  private Map<String, Parsed> parsedByEntry = new HashMap<>();
  /** model → version → timeline. */
  private final Map<String, Map<String, ReferenceTimeline>> resolved = new HashMap<>();
  private int resolvedCount;
  private long resolvedGeneration = -1;

  /**
   * @param store the global references store, laid out as {@link ReferenceHistory} says
   * @param parser validates and parses record values
   * @param generation advanced by every write to {@code store}
   */
  public ReferenceCache(
      final ReadOnlyKeyValueStore<String, byte[]> store,
      final ReferenceParser parser,
      final ReferenceGeneration generation) {
    this.store = store;
    this.parser = parser;
    this.generation = generation;
  }

  @Override
  public Reference find(final String model, final String version, final long timeMillis) {
    // Read before the store, so that a write racing with this resolution forces the next one.
    final long current = generation.current();
    if (current != resolvedGeneration || resolvedCount >= MAX_RESOLVED) {
      resolved.clear();
      resolvedCount = 0;
      resolvedGeneration = current;
    }
    final Map<String, ReferenceTimeline> versions =
        resolved.computeIfAbsent(model, m -> new HashMap<>(4));
    ReferenceTimeline timeline = versions.get(version);
    if (timeline == null) {
      timeline = resolve(model, version);
      versions.put(version, timeline);
      resolvedCount++;
    }
    return timeline.at(timeMillis);
  }

  /** How many (model, version) pairs are resolved now; at most {@link #MAX_RESOLVED}. */
  int resolvedCount() {
    return resolvedCount;
  }

  private ReferenceTimeline resolve(final String model, final String version) {
    final ReferenceTimeline modelWide = timeline(model);
    return version.isEmpty()
        ? modelWide
        : ReferenceTimeline.preferring(timeline(ReferenceParser.key(model, version)), modelWide);
  }

  private ReferenceTimeline timeline(final String recordKey) {
    final List<KeyValue<String, byte[]>> entries = ReferenceHistory.entries(store, recordKey);
    if (entries.isEmpty()) {
      return ReferenceTimeline.NONE;
    }
    if (parsedByEntry.size() > MAX_PARSED) {
      parsedByEntry = new HashMap<>();
    }
    final long[] from = new long[entries.size()];
    final Reference[] references = new Reference[entries.size()];
    for (int i = 0; i < entries.size(); i++) {
      final KeyValue<String, byte[]> entry = entries.get(i);
      from[i] = ReferenceHistory.fromMillis(entry.key);
      references[i] =
          ReferenceHistory.isEnded(entry.value) ? null : parse(recordKey, entry.key, entry.value);
    }
    return new ReferenceTimeline(from, references);
  }

  private Reference parse(final String recordKey, final String entryKey, final byte[] raw) {
    final Parsed cached = parsedByEntry.get(entryKey);
    if (cached != null && Arrays.equals(cached.raw(), raw)) {
      return cached.reference();
    }
    Reference reference = null;
    try {
      reference = parser.parse(recordKey, raw);
    } catch (InvalidReferenceException e) {
      // The updater stores valid references only; this is a store written by other means.
      LOG.atWarn().addKeyValue("key", entryKey).addKeyValue("reason", e.getMessage())
          .log("Ignoring invalid stored reference");
    }
    parsedByEntry.put(entryKey, new Parsed(raw, reference));
    return reference;
  }
}
