package org.modelmon.reference;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads references from the global references store and parses each one once per update, not
 * once per event.
 *
 * <p>The effective reference of each (model, version) is resolved once and kept until the store
 * is written to ({@link ReferenceGeneration}), so an event costs two hash lookups, not store reads.
 * The store holds the raw record values; a cached parse is reused for as long as the stored bytes
 * are unchanged. Confined to one stream thread.
 */
public final class ReferenceCache implements ReferenceLookup {

  private static final Logger LOG = LoggerFactory.getLogger(ReferenceCache.class);

  private record Parsed(byte[] raw, Reference reference) {}

  /**
   * Resolved (model, version) pairs kept at most. Lookups come before admission ({@code
   * modelmon.max.models}), so a flood of made-up model names must not grow the cache for ever.
   */
  static final int MAX_RESOLVED = 10_000;

  private final ReadOnlyKeyValueStore<String, byte[]> store;
  private final ReferenceParser parser;
  private final ReferenceGeneration generation;
  private final Map<String, Parsed> parsedByKey = new HashMap<>();
  /** model → version → effective reference; a {@code null} value is a resolved "none". */
  private final Map<String, Map<String, Reference>> resolved = new HashMap<>();
  private int resolvedCount;
  private long resolvedGeneration = -1;

  /**
   * @param store the global references store: record key to raw record value
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
  public Reference find(final String model, final String version) {
    // Read before the store, so that a write racing with this resolution forces the next one.
    final long current = generation.current();
    if (current != resolvedGeneration || resolvedCount >= MAX_RESOLVED) {
      resolved.clear();
      resolvedCount = 0;
      resolvedGeneration = current;
    }
    final Map<String, Reference> versions =
        resolved.computeIfAbsent(model, m -> new HashMap<>(4));
    final Reference known = versions.get(version);
    if (known != null || versions.containsKey(version)) {
      return known;
    }
    final Reference reference = resolve(model, version);
    versions.put(version, reference);
    resolvedCount++;
    return reference;
  }

  /** How many (model, version) pairs are resolved now; at most {@link #MAX_RESOLVED}. */
  int resolvedCount() {
    return resolvedCount;
  }

  private Reference resolve(final String model, final String version) {
    if (!version.isEmpty()) {
      final Reference specific = lookup(ReferenceParser.key(model, version));
      if (specific != null) {
        return specific;
      }
    }
    return lookup(model);
  }

  private Reference lookup(final String key) {
    final byte[] raw = store.get(key);
    if (raw == null) {
      parsedByKey.remove(key);
      return null;
    }
    final Parsed cached = parsedByKey.get(key);
    // The in-memory store hands back the stored array itself, so identity is the common case.
    if (cached != null && (cached.raw() == raw || Arrays.equals(cached.raw(), raw))) {
      return cached.reference();
    }
    Reference reference = null;
    try {
      reference = parser.parse(key, raw);
    } catch (InvalidReferenceException e) {
      // Only reachable for records restored into the global store without passing the updater.
      LOG.atWarn().addKeyValue("key", key).addKeyValue("reason", e.getMessage())
          .log("Ignoring invalid stored reference");
    }
    parsedByKey.put(key, new Parsed(raw, reference));
    return reference;
  }
}
