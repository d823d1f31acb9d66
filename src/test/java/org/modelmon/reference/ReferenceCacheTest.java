package org.modelmon.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;

class ReferenceCacheTest {

  /** The global store as the cache sees it: reads only, counted; keys in byte (= char) order. */
  private static final class MapStore implements ReadOnlyKeyValueStore<String, byte[]> {
    final TreeMap<String, byte[]> values = new TreeMap<>();
    int reads;

    @Override
    public byte[] get(final String key) {
      reads++;
      return values.get(key);
    }

    @Override
    public KeyValueIterator<String, byte[]> range(final String from, final String to) {
      reads++;
      final Iterator<Map.Entry<String, byte[]>> entries =
          values.subMap(from, true, to, true).entrySet().iterator();
      return new KeyValueIterator<>() {
        @Override
        public boolean hasNext() {
          return entries.hasNext();
        }

        @Override
        public KeyValue<String, byte[]> next() {
          final Map.Entry<String, byte[]> entry = entries.next();
          return KeyValue.pair(entry.getKey(), entry.getValue());
        }

        @Override
        public void close() {}

        @Override
        public String peekNextKey() {
          throw new UnsupportedOperationException();
        }
      };
    }

    @Override
    public KeyValueIterator<String, byte[]> all() {
      throw new UnsupportedOperationException();
    }

    @Override
    public long approximateNumEntries() {
      return values.size();
    }
  }

  private static final long T = 1_795_874_400_000L; // 2026-11-28T14:00:00Z

  private final MapStore store = new MapStore();
  private final ReferenceGeneration generation = new ReferenceGeneration();
  private final ReferenceCache cache =
      new ReferenceCache(store, new ReferenceParser(1e-3, 1000), generation);

  private static byte[] reference(final String model, final double a) {
    return reference(model, "", a);
  }

  private static byte[] reference(final String model, final String version, final double a) {
    final String versionField = version.isEmpty() ? "" : ",\"version\":\"" + version + "\"";
    return ("{\"model\":\""
            + model
            + "\""
            + versionField
            + ",\"distribution\":{\"a\":"
            + a
            + ",\"b\":"
            + (1 - a)
            + "}}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static double entropy(final double a) {
    return -(a * Math.log(a) + (1 - a) * Math.log(1 - a));
  }

  /** As the updater writes: the entry of {@code key} from {@code from}; null value: an end. */
  private void write(final String key, final long from, final byte[] value) {
    store.values.put(
        ReferenceHistory.entryKey(key, from), value == null ? ReferenceHistory.ended() : value);
    generation.advance();
  }

  @Test
  void shouldResolveEachModelVersionOnceWhileTheStoreIsUnchanged() {
    write("churn", T, reference("churn", 0.7));

    final Reference first = cache.find("churn", "v3", T + 1);
    final int readsAfterFirst = store.reads;
    for (int i = 0; i < 100; i++) {
      assertThat(cache.find("churn", "v3", T + i)).isSameAs(first);
    }

    assertThat(first.entropy()).isCloseTo(entropy(0.7), within(1e-12));
    assertThat(store.reads).isEqualTo(readsAfterFirst);
  }

  @Test
  void shouldSeeEveryWriteToTheStore() {
    write("churn", T, reference("churn", 0.7));
    assertThat(cache.find("churn", "v3", T).indexOf("a")).isZero();
    assertThat(cache.find("fraud", "", T)).isNull();

    write("churn@v3", T, reference("churn", "v3", 0.9));
    write("fraud", T, reference("fraud", 0.5));
    assertThat(cache.find("churn", "v3", T).entropy()).isCloseTo(entropy(0.9), within(1e-12));
    assertThat(cache.find("fraud", "", T)).isNotNull();

    write("churn@v3", T + 10, null);
    write("fraud", T + 10, null);
    assertThat(cache.find("churn", "v3", T + 10).entropy())
        .isCloseTo(entropy(0.7), within(1e-12));
    assertThat(cache.find("fraud", "", T + 10)).isNull();
  }

  @Test
  void shouldFindTheReferenceInForceAtEachTime() {
    write("churn", T, reference("churn", 0.7));
    write("churn", T + 1000, reference("churn", 0.6));
    write("churn", T + 2000, null);
    write("churn", T + 3000, reference("churn", 0.9));

    assertThat(cache.find("churn", "", T - 1)).as("before the first").isNull();
    assertThat(cache.find("churn", "", T).entropy()).isCloseTo(entropy(0.7), within(1e-12));
    assertThat(cache.find("churn", "", T + 999).entropy()).isCloseTo(entropy(0.7), within(1e-12));
    assertThat(cache.find("churn", "", T + 1000).entropy())
        .isCloseTo(entropy(0.6), within(1e-12));
    assertThat(cache.find("churn", "", T + 1999).entropy())
        .isCloseTo(entropy(0.6), within(1e-12));
    assertThat(cache.find("churn", "", T + 2000)).as("ended").isNull();
    assertThat(cache.find("churn", "", T + 2999)).as("ended").isNull();
    assertThat(cache.find("churn", "", T + 3000).entropy())
        .isCloseTo(entropy(0.9), within(1e-12));
    assertThat(cache.find("churn", "", Long.MAX_VALUE).entropy())
        .isCloseTo(entropy(0.9), within(1e-12));
  }

  @Test
  void shouldPreferTheVersionSpecificReferenceOnlyWhileItIsInForce() {
    write("churn", T, reference("churn", 0.7));
    write("churn@v3", T + 1000, reference("churn", "v3", 0.9));
    write("churn", T + 1500, reference("churn", 0.6));
    write("churn@v3", T + 2000, null);

    assertThat(cache.find("churn", "v3", T + 500).entropy())
        .isCloseTo(entropy(0.7), within(1e-12));
    assertThat(cache.find("churn", "v3", T + 1000).entropy())
        .isCloseTo(entropy(0.9), within(1e-12));
    assertThat(cache.find("churn", "v3", T + 1700).entropy())
        .as("the version's own still wins over a newer model-wide one")
        .isCloseTo(entropy(0.9), within(1e-12));
    assertThat(cache.find("churn", "v3", T + 2000).entropy())
        .as("the version's own ended: the model-wide one in force then")
        .isCloseTo(entropy(0.6), within(1e-12));
    assertThat(cache.find("churn", "v2", T + 1700).entropy())
        .isCloseTo(entropy(0.6), within(1e-12));
  }

  @Test
  void shouldNotGrowTheCacheWithoutBoundForAFloodOfUnknownModels() {
    write("churn", T, reference("churn", 0.7));
    for (int i = 0; i < 3 * ReferenceCache.MAX_RESOLVED; i++) {
      assertThat(cache.find("made-up-" + i, "", T)).isNull();
    }

    assertThat(cache.resolvedCount()).isLessThanOrEqualTo(ReferenceCache.MAX_RESOLVED);
    assertThat(cache.find("churn", "", T)).isNotNull();
  }

  @Test
  void shouldKeepOneKeysEntriesApartFromAnothersThatItPrefixes() {
    // "churn#…" sorts before "churn-eu#…" and "churn@v3#…": no key's range holds another's.
    write("churn-eu", T, reference("churn-eu", 0.9));
    write("churn", T + 10, reference("churn", 0.7));
    write("churn@v3", T + 20, reference("churn", "v3", 0.6));

    assertThat(cache.find("churn", "", T + 5)).isNull();
    assertThat(cache.find("churn", "", T + 15).entropy()).isCloseTo(entropy(0.7), within(1e-12));
    assertThat(cache.find("churn-eu", "", T + 15).entropy())
        .isCloseTo(entropy(0.9), within(1e-12));
    assertThat(cache.find("churn", "v3", T + 25).entropy())
        .isCloseTo(entropy(0.6), within(1e-12));
  }
}
