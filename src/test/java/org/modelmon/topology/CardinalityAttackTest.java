package org.modelmon.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.modelmon.topology.TopologyFixture.EVENT_TIME_ORIGIN;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.modelmon.TestConfigs;
import org.modelmon.config.ModelmonConfig;
import org.modelmon.event.InvalidReason;
import org.modelmon.http.DriverStateQueries;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.metrics.WindowMetricsCollector;
import org.modelmon.reference.ReferenceParser;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ModelSummary;
import org.modelmon.window.OpenWindowKey;
import org.modelmon.window.WindowAggregate;
import org.modelmon.window.WindowResult;
import org.modelmon.window.WindowSerdes;

/**
 * A producer that invents names cannot make metric cardinality or state grow without limit (issue
 * 4): beyond {@code modelmon.max.models} a new (model, version) is dead-lettered and counted, and
 * however many class names one model uses, per-class state stops at {@code modelmon.max.classes}
 * and per-class series at {@code modelmon.metrics.max.classes}.
 *
 * <p>The registry scraped is the instance's, with the window gauges read from the driver's stores,
 * as {@code /metrics} serves it.
 */
class CardinalityAttackTest {

  private static final Instant T0 = EVENT_TIME_ORIGIN; // aligned to 1m
  private static final String APPLICATION_ID = "modelmon-test"; // TestConfigs

  /**
   * Bytes of the fixed part of a serialised aggregate (format, 5 longs, 8 sums, 10 calibration bins
   * of 2 longs and 3 sums, the bin and class counts), and of one class with a name of n bytes.
   */
  private static final int AGGREGATE_FIXED_BYTES =
      1 + 8 * 5 + 16 * 8 + 4 + 10 * (8 * 2 + 16 * 3) + 4;

  private static int aggregateClassBytes(final int nameBytes) {
    return 4 + nameBytes + 8 + 8 * 4;
  }

  private TopologyFixture fixture;
  private DriverStateQueries state;

  private void start(final ModelmonConfig config) {
    fixture = new TopologyFixture(config);
    state =
        new DriverStateQueries(
            fixture.driver,
            new ReferenceParser(config.probabilityTolerance(), config.maxClasses()),
            config.detector());
    WindowMetricsCollector.register(
        fixture.registry, state, config.metricsMaxClasses(), config.detector().h());
  }

  @AfterEach
  void closeDriver() {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static String scoreEvent(final String model, final long timeMillis) {
    return String.format(
        Locale.ROOT,
        "{\"model\": \"%s\", \"timestamp\": %d, \"score\": 0.25, \"label\": 0}",
        model,
        timeMillis);
  }

  private void flush() {
    fixture.advanceWallClock(Duration.ofSeconds(1));
  }

  @Test
  void shouldAdmitAtMostMaxModelsAndDeadLetterAndCountEveryOtherModel() {
    final int maxModels = 50;
    final int attack = 100_000;
    start(TestConfigs.config("1m", Duration.ofSeconds(10), Duration.ofMinutes(1), maxModels));

    // 100,000 model names, each used once, all in [t0, t0+1m).
    for (int i = 0; i < attack; i++) {
      fixture.send(
          scoreEvent(String.format(Locale.ROOT, "attack-%06d", i), T0.toEpochMilli() + i % 60_000));
    }
    flush();

    // Dead letters: every model past the first 50, byte-identical, with their reason.
    final List<TestRecord<byte[], byte[]>> deadLetters = fixture.deadLetters.readRecordsToList();
    assertThat(deadLetters).hasSize(attack - maxModels);
    assertThat(deadLetters)
        .allSatisfy(
            letter ->
                assertThat(
                        new String(
                            letter.headers().lastHeader(DeadLetterHandler.REASON_HEADER).value(),
                            StandardCharsets.UTF_8))
                    .isEqualTo(InvalidReason.TOO_MANY_MODELS.name()));
    assertThat(new String(deadLetters.get(0).value(), StandardCharsets.UTF_8))
        .contains("attack-000050");
    assertThat(fixture.counter(ModelmonMetrics.INVALID_EVENTS, "reason", "TOO_MANY_MODELS"))
        .isEqualTo(attack - maxModels);
    // While the window is open: one open window, one model summary per admitted model.
    assertThat(
            modelsIn(
                fixture.driver.<ModelKey, ModelSummary>getKeyValueStore(
                    ModelmonTopology.MODELS_STORE),
                key -> key))
        .hasSize(maxModels);
    assertThat(modelsIn(openWindows(), key -> new ModelKey(key.model(), key.version())))
        .hasSize(maxModels);
    assertThat(modelsIn(partials(), key -> new ModelKey(key.model(), key.version())))
        .as("partials are sent on at every flush")
        .isEmpty();

    // An admitted model moves stream time to t0+1m20s: [t0, t0+1m) is final.
    fixture.send(scoreEvent("attack-000000", T0.plusSeconds(80).toEpochMilli()));
    flush();

    final List<JsonNode> windows = fixture.emittedWindows();
    assertThat(windows).hasSize(maxModels);
    final Map<String, Set<ModelKey>> seriesByMetric = modelsByMetric();
    assertThat(seriesByMetric)
        .containsKeys(
            "modelmon_predictions",
            "modelmon_log_loss_nats",
            "modelmon_labels",
            WindowMetricsCollector.WINDOW_PREDICTIONS,
            WindowMetricsCollector.WINDOW_LOG_LOSS,
            WindowMetricsCollector.WINDOW_CLASS_LOG_LOSS,
            WindowMetricsCollector.WINDOW_END,
            WindowMetricsCollector.LAST_EVENT);
    seriesByMetric.forEach(
        (metric, models) -> assertThat(models).as(metric).hasSizeLessThanOrEqualTo(maxModels));
    assertThat(seriesByMetric.get(WindowMetricsCollector.WINDOW_PREDICTIONS)).hasSize(maxModels);
    // Memory: no store holds more models than were admitted.
    assertThat(
            modelsIn(
                fixture.driver.<ModelKey, ModelSummary>getKeyValueStore(
                    ModelmonTopology.MODELS_STORE),
                key -> key))
        .hasSize(maxModels);
    assertThat(modelsIn(openWindows(), key -> new ModelKey(key.model(), key.version())))
        .as("only the window of the closing event is open")
        .hasSize(1);
    assertThat(state.latestWindows()).hasSize(maxModels);
    assertThat(historyModels()).hasSize(maxModels);
  }

  @Test
  void shouldBoundPerClassStateAndSeriesOfAModelThatInventsClassNames() {
    final int maxClasses = 100;
    final int metricsMaxClasses = 20;
    final int events = 5_000;
    start(
        TestConfigs.config(
            "1m",
            Duration.ofSeconds(10),
            Duration.ofMinutes(1),
            50,
            maxClasses,
            metricsMaxClasses));

    // Every event is valid: two class names drawn from 100,000, q = (0.75, 0.25), label the first.
    final Random random = new Random(4);
    for (int i = 0; i < events; i++) {
      final String first = String.format(Locale.ROOT, "c%05d", random.nextInt(100_000));
      String second = first;
      while (second.equals(first)) {
        second = String.format(Locale.ROOT, "c%05d", random.nextInt(100_000));
      }
      fixture.send(
          TopologyFixture.event(
              "wild", null, T0.plusMillis(i * 10L), Map.of(first, 0.75, second, 0.25), first));
      if (i % 1_000 == 999) {
        flush(); // several partials per window, combined
      }
    }
    flush();
    assertThat(modelsIn(openWindows(), key -> new ModelKey(key.model(), key.version())).values())
        .singleElement()
        .satisfies(open -> assertThat(open.classes()).hasSize(maxClasses));

    fixture.send(
        TopologyFixture.event(
            "wild", null, T0.plusSeconds(80), Map.of("c00000", 0.75, "c00001", 0.25), "c00000"));
    flush();

    // Every event counts in the totals.
    final double logLoss = -Math.log(0.75);
    assertThat(fixture.counter(ModelmonMetrics.PREDICTIONS, "model", "wild", "version", ""))
        .isEqualTo(events + 1);
    final List<JsonNode> windows = fixture.emittedWindows();
    assertThat(windows).hasSize(1);
    final JsonNode window = windows.get(0);
    assertThat(window.get("predictions").asLong()).isEqualTo(events);
    assertThat(window.get("logLossSum").asDouble()).isCloseTo(events * logLoss, within(1e-9));
    // Per-class fields hold the first maxClasses classes only.
    assertThat(window.get("labelCounts")).hasSize(maxClasses);
    assertThat(window.get("meanPrediction")).hasSize(maxClasses);
    assertThat(window.get("classLogLoss").size()).isLessThanOrEqualTo(maxClasses);

    // Per-class series stop at metricsMaxClasses.
    final Map<String, Set<String>> classesByMetric = classesByMetric("wild");
    assertThat(classesByMetric.get("modelmon_labels")).hasSize(metricsMaxClasses);
    assertThat(classesByMetric.get(WindowMetricsCollector.WINDOW_CLASS_LOG_LOSS))
        .hasSize(metricsMaxClasses);

    // What the stores persist — the changelogs carry their values byte for byte — is bounded.
    final int bound = AGGREGATE_FIXED_BYTES + maxClasses * aggregateClassBytes("c00000".length());
    for (final String store :
        List.of(ModelmonTopology.PARTIALS_STORE, ModelmonTopology.OPEN_WINDOWS_STORE)) {
      final TestOutputTopic<byte[], byte[]> changelog =
          fixture.driver.createOutputTopic(
              APPLICATION_ID + "-" + store + "-changelog",
              new ByteArrayDeserializer(),
              new ByteArrayDeserializer());
      final List<byte[]> values =
          changelog.readValuesToList().stream().filter(v -> v != null).toList();
      assertThat(values).as(store).isNotEmpty();
      assertThat(values)
          .as(store)
          .allSatisfy(value -> assertThat(value.length).isLessThanOrEqualTo(bound));
    }
  }

  private KeyValueStore<OpenWindowKey, WindowAggregate> openWindows() {
    return fixture.driver.getKeyValueStore(ModelmonTopology.OPEN_WINDOWS_STORE);
  }

  private KeyValueStore<OpenWindowKey, WindowAggregate> partials() {
    return fixture.driver.getKeyValueStore(ModelmonTopology.PARTIALS_STORE);
  }

  private static <K, V> Map<ModelKey, V> modelsIn(
      final KeyValueStore<K, V> store, final Function<K, ModelKey> model) {
    final Map<ModelKey, V> models = new HashMap<>();
    try (KeyValueIterator<K, V> all = store.all()) {
      while (all.hasNext()) {
        final KeyValue<K, V> entry = all.next();
        models.put(model.apply(entry.key), entry.value);
      }
    }
    return models;
  }

  private Set<String> historyModels() {
    final WindowStore<String, byte[]> history =
        fixture.driver.getWindowStore(ModelmonTopology.WINDOW_HISTORY_STORE);
    final Set<String> models = new HashSet<>();
    try (KeyValueIterator<Windowed<String>, byte[]> all = history.all()) {
      all.forEachRemaining(
          entry -> {
            final WindowResult window = WindowSerdes.windowResultFromJson(entry.value);
            models.add(window.model() + "@" + window.version());
          });
    }
    return models;
  }

  /** Per modelmon metric, the distinct (model, version) of its exported series. */
  private Map<String, Set<ModelKey>> modelsByMetric() {
    final Map<String, Set<ModelKey>> models = new TreeMap<>();
    for (final MetricSnapshot snapshot : fixture.registry.scrape()) {
      final String name = snapshot.getMetadata().getPrometheusName();
      if (!name.startsWith("modelmon_")) {
        continue;
      }
      for (final DataPointSnapshot point : snapshot.getDataPoints()) {
        final Labels labels = point.getLabels();
        if (labels.get("model") != null) {
          models
              .computeIfAbsent(name, n -> new HashSet<>())
              .add(new ModelKey(labels.get("model"), labels.get("version")));
        }
      }
    }
    return models;
  }

  /** Per modelmon metric, the distinct classes of a model's exported series. */
  private Map<String, Set<String>> classesByMetric(final String model) {
    final Map<String, Set<String>> classes = new TreeMap<>();
    for (final MetricSnapshot snapshot : fixture.registry.scrape()) {
      final String name = snapshot.getMetadata().getPrometheusName();
      for (final DataPointSnapshot point : snapshot.getDataPoints()) {
        final Labels labels = point.getLabels();
        if (model.equals(labels.get("model")) && labels.get("class") != null) {
          classes.computeIfAbsent(name, n -> new HashSet<>()).add(labels.get("class"));
        }
      }
    }
    return classes;
  }
}
