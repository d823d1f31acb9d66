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
 * <p>The store holds the raw record values; a cached parse is reused for as long as the stored
 * bytes are unchanged. Confined to one stream thread.
 */
public final class ReferenceCache implements ReferenceLookup {

  private static final Logger LOG = LoggerFactory.getLogger(ReferenceCache.class);

  private record Parsed(byte[] raw, Reference reference) {}

  private final ReadOnlyKeyValueStore<String, byte[]> store;
  private final ReferenceParser parser;
  private final Map<String, Parsed> parsedByKey = new HashMap<>();

  /**
   * @param store the global references store: record key to raw record value
   * @param parser validates and parses record values
   */
  public ReferenceCache(
      final ReadOnlyKeyValueStore<String, byte[]> store, final ReferenceParser parser) {
    this.store = store;
    this.parser = parser;
  }

  @Override
  public Reference find(final String model, final String version) {
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
