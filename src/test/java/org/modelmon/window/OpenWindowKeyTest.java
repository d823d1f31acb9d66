package org.modelmon.window;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * {@link OpenWindowKey#BINARY_ORDER} is the order of the open-windows store, which the combining
 * task's working map must keep: windows are emitted in it.
 */
class OpenWindowKeyTest {

  /**
   * Ends across the sign bit, sizes, and names whose UTF-8 order differs from {@link String}'s (a
   * shorter model sorts first whatever its characters; U+1F600 is encoded after U+E000 but its
   * UTF-16 surrogates sort before), prefixes and the empty version.
   */
  private static List<OpenWindowKey> keys() {
    final List<OpenWindowKey> keys = new ArrayList<>();
    for (final long end : new long[] {Long.MIN_VALUE, -60_000, -1, 0, 1, 60_000, Long.MAX_VALUE}) {
      for (final long size : new long[] {1, 60_000, 300_000, Long.MAX_VALUE}) {
        for (final String model : new String[] {"a", "b", "aa", "ab", "é", "\uE000", "😀"}) {
          for (final String version : new String[] {"", "1", "10", "2", "é", "😀"}) {
            keys.add(new OpenWindowKey(end, size, model, version));
          }
        }
      }
    }
    return keys;
  }

  @Test
  void shouldOrderKeysAsTheirBinaryFormsCompare() {
    final List<OpenWindowKey> keys = keys();
    final List<String> disagreements = new ArrayList<>();
    for (final OpenWindowKey a : keys) {
      for (final OpenWindowKey b : keys) {
        final int binary = Bytes.wrap(a.toBytes()).compareTo(Bytes.wrap(b.toBytes()));
        if (Integer.signum(OpenWindowKey.BINARY_ORDER.compare(a, b)) != Integer.signum(binary)) {
          disagreements.add(a + " vs " + b);
        }
      }
    }
    assertThat(disagreements).isEmpty();
  }

  @Test
  void shouldOrderKeysAsAStoreOfThemIterates() {
    final KeyValueStore<OpenWindowKey, Integer> store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore("open-windows"),
                WindowSerdes.openWindowKey(),
                Serdes.Integer())
            .withLoggingDisabled()
            .build();
    final MockProcessorContext<Void, Void> context = new MockProcessorContext<>();
    store.init(context.getStateStoreContext(), store);
    final List<OpenWindowKey> keys = keys();
    for (int i = keys.size() - 1; i >= 0; i--) {
      store.put(keys.get(i), i);
    }

    final List<OpenWindowKey> iterated = new ArrayList<>();
    try (KeyValueIterator<OpenWindowKey, Integer> all = store.all()) {
      all.forEachRemaining(entry -> iterated.add(entry.key));
    }
    keys.sort(OpenWindowKey.BINARY_ORDER);
    assertThat(iterated).containsExactlyElementsOf(keys);
    store.close();
  }
}
