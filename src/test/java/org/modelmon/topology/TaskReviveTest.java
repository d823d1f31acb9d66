package org.modelmon.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedForward;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;
import org.modelmon.TestConfigs;
import org.modelmon.config.ModelmonConfig;
import org.modelmon.event.PredictionForm;
import org.modelmon.join.AwaitingPrediction;
import org.modelmon.join.JoinMessage;
import org.modelmon.join.SourceRecord;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.metrics.WatermarkGauge;
import org.modelmon.reference.ReferenceGeneration;
import org.modelmon.reference.ReferenceParser;
import org.modelmon.window.AggregationMessage;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ModelSummary;
import org.modelmon.window.ScoredPrediction;
import org.modelmon.window.WatermarkTracker;
import org.modelmon.window.WindowAggregate;
import org.modelmon.window.WindowSerdes;

/**
 * When a task's state is corrupted (under exactly-once, for instance when a send to a changelog
 * times out during a long broker outage), Kafka Streams closes it dirty, wipes its stores, restores
 * them from the changelogs to the last commit and initialises the same processor instances again.
 * Whatever a processor holds outside its stores must therefore be rebuilt from the stores alone in
 * {@code init}: work of the aborted transaction is redone from the committed offsets.
 */
class TaskReviveTest {

  private static final int MAX_CLASSES = 16;
  private static final int BINS = 10;
  private static final long T0 = 1_700_000_040_000L; // aligned to one minute
  private static final ModelKey CHURN = new ModelKey("churn", "");
  private static final ModelKey FRAUD = new ModelKey("fraud", "");
  private static final Duration FLUSH = Duration.ofSeconds(1);

  @Test
  void partialAggregatorForgetsTheAbortedTransactionWhenRevived() {
    // Given a pre-aggregating task that scored an event in a transaction that was then aborted,
    final PartialAggregator aggregator = new PartialAggregator(60_000L, MAX_CLASSES, BINS, FLUSH);
    final MockProcessorContext<ModelKey, AggregationMessage> aborted = partialsContext();
    aggregator.init(aborted);
    aggregator.process(scored(T0 + 50_000L));
    aggregator.close();

    // when it is revived on stores restored to the last commit (which held nothing),
    final MockProcessorContext<ModelKey, AggregationMessage> revived = partialsContext();
    aggregator.init(revived);
    flush(revived);

    // then it sends neither the aborted event's sums nor a watermark covering events it has not
    // scored again: that watermark would make them late when they are. It only reports that it
    // runs, with no stream time.
    assertThat(revived.forwarded()).hasSize(1);
    assertThat(revived.forwarded().get(0).record().value())
        .isEqualTo(new AggregationMessage.Watermark(0, WatermarkTracker.NONE));
    revived.resetForwards();

    // When the event is scored again from the committed offset, it is sent once.
    aggregator.process(scored(T0 + 50_000L));
    flush(revived);
    assertThat(revived.forwarded()).hasSize(2);
    final AggregationMessage.Partial partial =
        (AggregationMessage.Partial) revived.forwarded().get(0).record().value();
    assertThat(partial.aggregate().count()).isEqualTo(1);
    assertThat(revived.forwarded().get(1).record().value())
        .isEqualTo(new AggregationMessage.Watermark(0, T0 + 50_000L));
  }

  @Test
  void windowCombinerForgetsTheAbortedWatermarkWhenRevived() {
    // Given a combining task that, in a transaction then aborted, added an event's partial and
    // advanced its watermark past the end of the event's window plus grace,
    final WindowCombiner combiner = combiner();
    final MockProcessorContext<String, FinalWindow> aborted = combinerContext();
    combiner.init(aborted);
    combiner.process(partial(CHURN, T0 + 50_000L));
    combiner.process(watermark(T0 + 120_000L));
    assertThat(aborted.forwarded()).hasSize(1);
    combiner.close();

    // when it is revived on stores restored to the last commit (which held nothing) and the
    // partial and watermark are read again,
    final MockProcessorContext<String, FinalWindow> revived = combinerContext();
    combiner.init(revived);
    combiner.process(partial(CHURN, T0 + 50_000L));
    combiner.process(watermark(T0 + 120_000L));

    // then the window is emitted with the event: it was not final at the last commit.
    final List<CapturedForward<? extends String, ? extends FinalWindow>> windows =
        revived.forwarded();
    assertThat(windows).hasSize(1);
    assertThat(windows.get(0).record().value().result().predictions()).isEqualTo(1);
    assertThat(windows.get(0).record().value().result().startMillis()).isEqualTo(T0);
  }

  @Test
  void windowCombinerForgetsTheAbortedSumsWhenRevived() {
    // Given a combining task that committed a partial of churn's window, then added another one and
    // a first one of fraud's in a transaction that was aborted,
    final WindowCombiner combiner = combiner();
    final MockProcessorContext<String, FinalWindow> aborted = combinerContext();
    combiner.init(aborted);
    combiner.process(partial(CHURN, T0 + 10_000L));
    final MockProcessorContext<String, FinalWindow> revived = combinerContext();
    copyStore(aborted, revived, ModelmonTopology.OPEN_WINDOWS_STORE);
    copyStore(aborted, revived, ModelmonTopology.MODELS_STORE);
    combiner.process(partial(CHURN, T0 + 50_000L));
    combiner.process(partial(FRAUD, T0 + 50_000L));
    combiner.close();

    // when it is revived on stores restored to the last commit and the aborted partials are read
    // again,
    combiner.init(revived);
    combiner.process(partial(CHURN, T0 + 50_000L));
    combiner.process(partial(FRAUD, T0 + 50_000L));
    combiner.process(watermark(T0 + 120_000L));

    // then the windows and the models' summaries count each event once.
    assertThat(revived.forwarded())
        .extracting(forward -> forward.record().value().result().predictions())
        .containsExactly(2L, 1L);
    final KeyValueStore<ModelKey, ModelSummary> models =
        revived.getStateStore(ModelmonTopology.MODELS_STORE);
    assertThat(models.get(CHURN).predictions()).isEqualTo(2);
    assertThat(models.get(FRAUD).predictions()).isEqualTo(1);
  }

  private static Record<ModelKey, ScoredPrediction> scored(final long eventTimeMillis) {
    final ScoredPrediction prediction =
        new ScoredPrediction(
            eventTimeMillis,
            List.of("stay", "leave"),
            new double[] {0.8, 0.2},
            0,
            -Math.log(0.8),
            false,
            0.0,
            0.0,
            -(0.8 * Math.log(0.8) + 0.2 * Math.log(0.2)),
            0.8 * 0.2 * Math.pow(Math.log(0.8 / 0.2), 2),
            2 * 0.2 * 0.2,
            0.8,
            true);
    return new Record<>(CHURN, prediction, eventTimeMillis);
  }

  private static Record<ModelKey, AggregationMessage> partial(
      final ModelKey key, final long eventTimeMillis) {
    final WindowAggregate sums = new WindowAggregate(MAX_CLASSES, BINS);
    sums.add(scored(eventTimeMillis).value());
    final long bucketStart = Math.floorDiv(eventTimeMillis, 60_000L) * 60_000L;
    return new Record<>(key, new AggregationMessage.Partial(bucketStart, sums), eventTimeMillis);
  }

  private static Record<ModelKey, AggregationMessage> watermark(final long streamTimeMillis) {
    return new Record<>(
        ModelKey.WATERMARK,
        new AggregationMessage.Watermark(0, streamTimeMillis),
        streamTimeMillis);
  }

  /** Runs the pre-aggregator's flush punctuator, as the wall clock would every second. */
  @Test
  void labelJoinerExpiresAWaitingPredictionAtItsOwnDeadlineAfterARestartWithAnotherHorizon() {
    // Given a joining task, horizon 2 minutes, holding a prediction of t0 that waits for its label,
    final ModelmonConfig twoMinutes = joinConfig(Duration.ofMinutes(2));
    final PrometheusRegistry registry = new PrometheusRegistry();
    final ModelmonMetrics metrics = ModelmonMetrics.register(registry, MAX_CLASSES, BINS);
    final MockProcessorContext<Object, Object> first = joinContext();
    final LabelJoiner joiner = new LabelJoiner(twoMinutes, 1, 60_000L, FLUSH, FLUSH, metrics);
    joiner.init(first);
    joiner.process(
        new Record<>(
            "churn@a",
            new JoinMessage.Prediction(
                "churn",
                "a",
                new AwaitingPrediction(
                    "",
                    T0,
                    PredictionForm.OBJECT,
                    List.of("no", "yes"),
                    new double[] {0.8, 0.2},
                    false,
                    Double.NaN,
                    Double.NaN,
                    0.5004024235381879,
                    0.3),
                new SourceRecord(null, new byte[] {'{', '}'}, List.of(), T0, "predictions", 0, 7L)),
            T0));
    joiner.close();

    // when it restarts on its stores with a horizon of 6 minutes, and both input partitions have
    // passed the old deadline (t0 + 2m) by more than the grace (5 s), not the new one,
    final MockProcessorContext<Object, Object> restarted = joinContext();
    for (final String store :
        List.of(
            ModelmonTopology.AWAITING_LABEL_STORE,
            ModelmonTopology.EARLY_LABELS_STORE,
            ModelmonTopology.JOIN_DEADLINES_STORE)) {
      copyStore(first, restarted, store);
    }
    final LabelJoiner longer =
        new LabelJoiner(joinConfig(Duration.ofMinutes(6)), 1, 60_000L, FLUSH, FLUSH, metrics);
    longer.init(restarted);
    final long now = restarted.currentSystemTimeMs();
    longer.process(new Record<>("", new JoinMessage.StreamTime(0, T0 + 130_000L), now));
    longer.process(new Record<>("", new JoinMessage.StreamTime(1, T0 + 130_000L), now));
    flush(restarted);

    // then the prediction expires at the deadline it got, and its (model, id) is free.
    final KeyValueStore<String, byte[]> pending =
        restarted.getStateStore(ModelmonTopology.AWAITING_LABEL_STORE);
    assertThat(pending.get("churn@a")).isNull();
    assertThat(expired(registry)).isEqualTo(1.0);
  }

  private static ModelmonConfig joinConfig(final Duration horizon) {
    return TestConfigs.withLabelBounds(
        TestConfigs.config(
            "1m", Duration.ofSeconds(5), Duration.ofMinutes(10), 1000, MAX_CLASSES, MAX_CLASSES),
        horizon,
        Duration.ofSeconds(30));
  }

  /** modelmon_predictions_expired_total of churn, 0 when absent. */
  private static double expired(final PrometheusRegistry registry) {
    for (final MetricSnapshot snapshot : registry.scrape()) {
      if (snapshot instanceof CounterSnapshot counters
          && snapshot.getMetadata().getPrometheusName().equals("modelmon_predictions_expired")) {
        for (final CounterSnapshot.CounterDataPointSnapshot point : counters.getDataPoints()) {
          if (point.getLabels().equals(Labels.of("model", "churn", "version", ""))) {
            return point.getValue();
          }
        }
      }
    }
    return 0;
  }

  private static MockProcessorContext<Object, Object> joinContext() {
    final MockProcessorContext<Object, Object> context = context();
    addKeyValueStore(
        context, ModelmonTopology.AWAITING_LABEL_STORE, Serdes.String(), Serdes.ByteArray());
    addKeyValueStore(
        context, ModelmonTopology.EARLY_LABELS_STORE, Serdes.String(), Serdes.ByteArray());
    addKeyValueStore(
        context, ModelmonTopology.JOIN_DEADLINES_STORE, Serdes.Bytes(), Serdes.ByteArray());
    addKeyValueStore(
        context,
        ModelmonTopology.JOIN_WATERMARKS_STORE,
        Serdes.Integer(),
        WindowSerdes.partitionWatermark());
    addKeyValueStore(
        context,
        ModelmonTopology.JOIN_PREDICTIONS_STORE,
        WindowSerdes.openWindowKey(),
        WindowSerdes.windowAggregate(MAX_CLASSES, BINS));
    addKeyValueStore(
        context,
        ModelmonTopology.JOIN_OUTCOMES_STORE,
        WindowSerdes.openWindowKey(),
        WindowSerdes.windowAggregate(MAX_CLASSES, BINS));
    return context;
  }

  private static void flush(final MockProcessorContext<?, ?> context) {
    final List<MockProcessorContext.CapturedPunctuator> punctuators =
        context.scheduledPunctuators();
    final MockProcessorContext.CapturedPunctuator latest = punctuators.get(punctuators.size() - 1);
    assertThat(latest.getType()).isEqualTo(PunctuationType.WALL_CLOCK_TIME);
    latest.getPunctuator().punctuate(context.currentSystemTimeMs());
  }

  private static WindowCombiner combiner() {
    final PrometheusRegistry registry = new PrometheusRegistry();
    return new WindowCombiner(
        TestConfigs.config(
            "1m", Duration.ofSeconds(5), Duration.ofMinutes(10), 1000, MAX_CLASSES, MAX_CLASSES),
        Duration.ofSeconds(10),
        1,
        FLUSH,
        new ReferenceParser(1e-6, MAX_CLASSES),
        new ReferenceGeneration(),
        ModelmonMetrics.register(registry, MAX_CLASSES, BINS),
        WatermarkGauge.register(registry));
  }

  private static MockProcessorContext<ModelKey, AggregationMessage> partialsContext() {
    final MockProcessorContext<ModelKey, AggregationMessage> context = context();
    addKeyValueStore(
        context,
        ModelmonTopology.PARTIALS_STORE,
        WindowSerdes.openWindowKey(),
        WindowSerdes.windowAggregate(MAX_CLASSES, BINS));
    return context;
  }

  private static MockProcessorContext<String, FinalWindow> combinerContext() {
    final MockProcessorContext<String, FinalWindow> context = context();
    addKeyValueStore(
        context,
        ModelmonTopology.OPEN_WINDOWS_STORE,
        WindowSerdes.openWindowKey(),
        WindowSerdes.windowAggregate(MAX_CLASSES, BINS));
    addKeyValueStore(
        context,
        ModelmonTopology.WATERMARKS_STORE,
        Serdes.Integer(),
        WindowSerdes.partitionWatermark());
    addKeyValueStore(
        context, ModelmonTopology.LATEST_WINDOWS_STORE, Serdes.String(), Serdes.ByteArray());
    addStore(
        context,
        Stores.windowStoreBuilder(
                Stores.inMemoryWindowStore(
                    ModelmonTopology.WINDOW_HISTORY_STORE,
                    Duration.ofDays(1),
                    Duration.ofMinutes(1),
                    false),
                Serdes.String(),
                Serdes.ByteArray())
            .withLoggingDisabled()
            .build());
    addKeyValueStore(
        context,
        ModelmonTopology.MODELS_STORE,
        WindowSerdes.modelKey(),
        WindowSerdes.modelSummary());
    addKeyValueStore(
        context, ModelmonTopology.REFERENCES_STORE, Serdes.String(), Serdes.ByteArray());
    return context;
  }

  /** Copies what {@code from} holds in store {@code name} into the same store of {@code to}. */
  private static <K, V> void copyStore(
      final MockProcessorContext<?, ?> from,
      final MockProcessorContext<?, ?> to,
      final String name) {
    final KeyValueStore<K, V> source = from.getStateStore(name);
    final KeyValueStore<K, V> target = to.getStateStore(name);
    try (KeyValueIterator<K, V> all = source.all()) {
      all.forEachRemaining(entry -> target.put(entry.key, entry.value));
    }
  }

  private static <K, V> MockProcessorContext<K, V> context() {
    final MockProcessorContext<K, V> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(Instant.parse("2026-11-29T00:00:00Z").toEpochMilli());
    return context;
  }

  private static <K, V> void addKeyValueStore(
      final MockProcessorContext<?, ?> context,
      final String name,
      final Serde<K> keySerde,
      final Serde<V> valueSerde) {
    addStore(
        context,
        Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), keySerde, valueSerde)
            .withLoggingDisabled()
            .build());
  }

  private static void addStore(final MockProcessorContext<?, ?> context, final StateStore store) {
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
  }
}
