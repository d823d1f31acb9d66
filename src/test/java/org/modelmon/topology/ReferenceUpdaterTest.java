package org.modelmon.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.reference.ReferenceGeneration;
import org.modelmon.reference.ReferenceHistory;
import org.modelmon.reference.ReferenceParser;

/**
 * The references store as {@link ReferenceUpdater} writes it: a history by record timestamp that
 * invalid records never touch, and an invalid record counted once however often the topic is read
 * again into the same store.
 */
class ReferenceUpdaterTest {

  private static final String TOPIC = "model-references";
  private static final long T = 1_795_874_400_000L; // 2026-11-28T14:00:00Z
  private static final String VALID =
      "{\"model\":\"churn\",\"distribution\":{\"a\":0.7,\"b\":0.3}}";
  private static final String OTHER =
      "{\"model\":\"churn\",\"distribution\":{\"a\":0.6,\"b\":0.4}}";
  private static final String INVALID = "{\"model\":\"churn\",\"distribution\":{\"a\":0.7}}";

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final ModelmonMetrics metrics = ModelmonMetrics.register(registry, 10, 10);
  private final ReferenceGeneration generation = new ReferenceGeneration();
  private final MockProcessorContext<Void, Void> context = new MockProcessorContext<>(properties());
  private final KeyValueStore<String, byte[]> store =
      Stores.keyValueStoreBuilder(
              Stores.inMemoryKeyValueStore(ModelmonTopology.REFERENCES_STORE),
              Serdes.String(),
              Serdes.ByteArray())
          .withLoggingDisabled()
          .build();

  private static Properties properties() {
    final Properties properties = new Properties();
    properties.put(StreamsConfig.APPLICATION_ID_CONFIG, "reference-updater-test");
    properties.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
    // As the application sets it; also keeps the mock context from logging a warning.
    properties.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    return properties;
  }

  ReferenceUpdaterTest() {
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
  }

  /** A new updater on the same store: a restart, or the restore at start. */
  private ReferenceUpdater updater() {
    final ReferenceUpdater updater =
        new ReferenceUpdater(new ReferenceParser(1e-3, 10), generation, metrics);
    updater.init(context);
    return updater;
  }

  private void process(
      final ReferenceUpdater updater,
      final long offset,
      final String key,
      final String json,
      final long timestamp) {
    context.setRecordMetadata(TOPIC, 0, offset);
    updater.process(
        new Record<>(key, json == null ? null : json.getBytes(StandardCharsets.UTF_8), timestamp));
  }

  private List<String> history(final String key) {
    final List<String> entries = new ArrayList<>();
    for (final KeyValue<String, byte[]> entry : ReferenceHistory.entries(store, key)) {
      entries.add(
          ReferenceHistory.fromMillis(entry.key)
              + "="
              + (ReferenceHistory.isEnded(entry.value)
                  ? "ended"
                  : new String(entry.value, StandardCharsets.UTF_8)));
    }
    return entries;
  }

  private double invalidReferences() {
    for (final MetricSnapshot snapshot : registry.scrape()) {
      if (snapshot.getMetadata().getPrometheusName().equals("modelmon_invalid_references")) {
        return ((CounterSnapshot) snapshot).getDataPoints().get(0).getValue();
      }
    }
    return 0;
  }

  @Test
  void shouldKeepEveryReferenceByItsRecordTimestampAndEndOneOnATombstone() {
    final ReferenceUpdater updater = updater();
    process(updater, 0, "churn", VALID, T);
    process(updater, 1, "churn", OTHER, T + 2000);
    process(updater, 2, "churn", VALID, T + 1000); // in force before OTHER, though read after it
    process(updater, 3, "churn", null, T + 3000);
    process(updater, 4, "fraud", null, T); // nothing to end

    assertThat(history("churn"))
        .containsExactly(
            T + "=" + VALID,
            (T + 1000) + "=" + VALID,
            (T + 2000) + "=" + OTHER,
            (T + 3000) + "=ended");
    assertThat(history("fraud")).isEmpty();
    assertThat(generation.current()).isEqualTo(4);
  }

  @Test
  void shouldNeverLetAnInvalidRecordReplaceOrEndTheValidOne() {
    final ReferenceUpdater updater = updater();
    process(updater, 0, "churn", VALID, T);
    process(updater, 1, "churn", INVALID, T + 1000);
    process(updater, 2, "churn@v3", VALID, T + 1000); // key and value disagree: invalid

    assertThat(history("churn")).containsExactly(T + "=" + VALID);
    assertThat(history("churn@v3")).isEmpty();
    assertThat(invalidReferences()).isEqualTo(2.0);
  }

  @Test
  void shouldCountAnInvalidRecordOnceWhenTheSameStoreReadsTheTopicAgain() {
    process(updater(), 0, "churn", VALID, T);
    process(updater(), 1, "churn", INVALID, T + 1000);
    assertThat(invalidReferences()).isEqualTo(1.0);

    // After an unclean stop the restore reads the topic from its start again — compacted now, so
    // only the invalid record is left of "churn" — into the store that has applied it before,
    final ReferenceUpdater restarted = updater();
    process(restarted, 1, "churn", INVALID, T + 1000);
    // and then a record it has never seen.
    process(restarted, 2, "churn", INVALID, T + 2000);

    assertThat(invalidReferences()).as("the re-read record is not counted again").isEqualTo(2.0);
    assertThat(history("churn")).containsExactly(T + "=" + VALID);
  }

  @Test
  void shouldDropReferencesSupersededLongBeforeTheNewest() {
    final long retention = ReferenceHistory.RETENTION.toMillis();
    final ReferenceUpdater updater = updater();
    process(updater, 0, "churn", VALID, T);
    process(updater, 1, "churn", OTHER, T + 1000);
    process(updater, 2, "churn", null, T + 2000);
    process(updater, 3, "churn", VALID, T + 3000);
    assertThat(history("churn")).hasSize(4);

    // The newest is more than the retention after the third: the first two can never be found
    // again by a lookup within the retention, the third (an end) ends nothing left before it.
    process(updater, 4, "churn", OTHER, T + 2000 + retention + Duration.ofSeconds(1).toMillis());

    assertThat(history("churn"))
        .containsExactly((T + 3000) + "=" + VALID, (T + 2000 + retention + 1000) + "=" + OTHER);
  }
}
