package org.modelmon.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;

class ReferenceCacheTest {

  /** The global store as the cache sees it: reads only, counted. */
  private static final class MapStore implements ReadOnlyKeyValueStore<String, byte[]> {
    final Map<String, byte[]> values = new HashMap<>();
    int reads;

    @Override
    public byte[] get(final String key) {
      reads++;
      return values.get(key);
    }

    @Override
    public KeyValueIterator<String, byte[]> range(final String from, final String to) {
      throw new UnsupportedOperationException();
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

  private void write(final String key, final byte[] value) {
    if (value == null) {
      store.values.remove(key);
    } else {
      store.values.put(key, value);
    }
    generation.advance();
  }

  @Test
  void resolvesEachModelVersionOnceWhileTheStoreIsUnchanged() {
    write("churn", reference("churn", 0.7));

    final Reference first = cache.find("churn", "v3");
    final int readsAfterFirst = store.reads;
    for (int i = 0; i < 100; i++) {
      assertThat(cache.find("churn", "v3")).isSameAs(first);
    }

    assertThat(first.entropy()).isCloseTo(-(0.7 * Math.log(0.7) + 0.3 * Math.log(0.3)), within(1e-12));
    assertThat(store.reads).isEqualTo(readsAfterFirst);
  }

  @Test
  void seesEveryWriteToTheStore() {
    write("churn", reference("churn", 0.7));
    assertThat(cache.find("churn", "v3").indexOf("a")).isZero();
    assertThat(cache.find("fraud", "")).isNull();

    write("churn@v3", reference("churn", "v3", 0.9));
    write("fraud", reference("fraud", 0.5));
    final double versionSpecificEntropy = -(0.9 * Math.log(0.9) + 0.1 * Math.log(0.1));
    assertThat(cache.find("churn", "v3").entropy())
        .isCloseTo(versionSpecificEntropy, within(1e-12));
    assertThat(cache.find("fraud", "")).isNotNull();

    write("churn@v3", null);
    write("fraud", null);
    assertThat(cache.find("churn", "v3").entropy())
        .isCloseTo(-(0.7 * Math.log(0.7) + 0.3 * Math.log(0.3)), within(1e-12));
    assertThat(cache.find("fraud", "")).isNull();
  }

  @Test
  void aFloodOfUnknownModelsDoesNotGrowTheCacheWithoutBound() {
    write("churn", reference("churn", 0.7));
    for (int i = 0; i < 3 * ReferenceCache.MAX_RESOLVED; i++) {
      assertThat(cache.find("made-up-" + i, "")).isNull();
    }

    assertThat(cache.resolvedCount()).isLessThanOrEqualTo(ReferenceCache.MAX_RESOLVED);
    assertThat(cache.find("churn", "")).isNotNull();
  }
}
