package org.modelmon.topology;

import java.math.BigInteger;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.modelmon.admission.ModelAdmission;
import org.modelmon.config.ModelmonConfig;
import org.modelmon.config.WindowSpec;
import org.modelmon.detector.DetectorSerdes;
import org.modelmon.detector.DriftDetector;
import org.modelmon.event.LabelParser;
import org.modelmon.event.ParserLimits;
import org.modelmon.event.PredictionParser;
import org.modelmon.join.JoinMessage;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.metrics.WatermarkGauge;
import org.modelmon.reference.ReferenceGeneration;
import org.modelmon.reference.ReferenceParser;
import org.modelmon.state.BoundedMemoryRocksDBConfig;
import org.modelmon.window.AggregationMessage;
import org.modelmon.window.ModelKey;
import org.modelmon.window.OpenWindowKey;
import org.modelmon.window.ScoredPrediction;
import org.modelmon.window.WindowAggregate;
import org.modelmon.window.WindowSerdes;

/**
 * Builds modelmon's Kafka Streams topology from the configuration (see docs/architecture.md):
 *
 * <pre>
 * predictions ─► score ─┬─ labelled, or no id ─► pre-aggregate ─► [aggregation] ──────────┐
 *                       └─ id, no label ──┐                                               ├─► combine ─► windows topic
 * labels ─► parse-labels ─────────────────┴─► [join] ─► join ─► [join-aggregation] ───────┘
 *   invalid, at parsing: DeadLetterHandler; at the join: join-dead-letters ─► dead-letter topic
 * model-references ─► global references store: history by record timestamp (read by score and
 *                     combine, at the event's time and at the window's last millisecond)
 * </pre>
 *
 * <p>The join topic is partitioned by (model, id), so that a prediction and its label meet; the
 * aggregation topics by (model, version). Stream times travel with the data: every predictions and
 * labels partition's to every joining task, every pre-aggregating and joining task's watermark to
 * every combining task.
 *
 * <p>{@link #build} is a pure function: no I/O, no threads. Tests run the very same topology.
 */
public final class ModelmonTopology {

  public static final String REFERENCES_STORE = "references-store";
  public static final String PARTIALS_STORE = "partials-store";
  public static final String OPEN_WINDOWS_STORE = "open-windows-store";
  public static final String WATERMARKS_STORE = "watermarks-store";

  /**
   * {@link #seriesKey} → the latest final window's record, as the JSON bytes of the windows topic
   * (read with {@link WindowSerdes#windowResultFromJson}): the combiner serialises a window once.
   */
  public static final String LATEST_WINDOWS_STORE = "latest-windows-store";

  /** {@link #seriesKey} at window start → the final window's record, as the JSON bytes too. */
  public static final String WINDOW_HISTORY_STORE = "window-history-store";

  public static final String MODELS_STORE = "models-store";
  public static final String DETECTOR_STORE = "detector-store";
  public static final String AGGREGATION_TOPIC = "aggregation";

  /** (model, id) → a prediction waiting for its label, or joined: {@code PendingPrediction}. */
  public static final String AWAITING_LABEL_STORE = "awaiting-label-store";

  /** (model, id) → a label that came before its prediction. */
  public static final String EARLY_LABELS_STORE = "early-labels-store";

  /**
   * When each waiting prediction expires and each early label is unmatched: {@code JoinDeadline}.
   */
  public static final String JOIN_DEADLINES_STORE = "join-deadlines-store";

  public static final String JOIN_WATERMARKS_STORE = "join-watermarks-store";
  public static final String JOIN_PREDICTIONS_STORE = "join-predictions-partials-store";
  public static final String JOIN_OUTCOMES_STORE = "join-outcomes-partials-store";

  /** Predictions waiting for a label, and labels, partitioned by (model, id). */
  public static final String JOIN_TOPIC = "join";

  /** The join's partials and watermarks, to the combiners. */
  public static final String JOIN_AGGREGATION_TOPIC = "join-aggregation";

  /** How often partials are sent on and final windows looked for (wall-clock). */
  public static final Duration FLUSH_INTERVAL = Duration.ofSeconds(1);

  /**
   * How long a combining task waits, at least, for an input partition's task to report (every flush
   * interval) before it takes the task as not running and lets the partition hold the watermark.
   * See {@link #reportTimeout}.
   */
  public static final Duration MIN_REPORT_TIMEOUT = FLUSH_INTERVAL.multipliedBy(10);

  /** How long final windows stay queryable through the API, at least. */
  public static final Duration HISTORY_RETENTION = Duration.ofHours(24);

  private ModelmonTopology() {}

  /**
   * The topology for {@code config}.
   *
   * @param config the instance's configuration
   * @param inputPartitions N, the number of partitions of the predictions topic, which the labels
   *     topic has too; until each predictions partition has reported (or fallen idle) no window is
   *     final, and a labels partition holds windows back once it has read a label
   * @param metrics where scoring counts
   * @param watermarkGauge where combining tasks publish the watermark
   * @param admission which (model, version) pairs are scored ({@code modelmon.max.models})
   */
  public static Topology build(
      final ModelmonConfig config,
      final int inputPartitions,
      final ModelmonMetrics metrics,
      final WatermarkGauge watermarkGauge,
      final ModelAdmission admission) {
    final ParserLimits parserLimits =
        new ParserLimits(
            config.maxClasses(), config.probabilityTolerance(), config.maxFutureSkew().toMillis());
    final PredictionParser parser = new PredictionParser(parserLimits);
    final ReferenceParser referenceParser =
        new ReferenceParser(config.probabilityTolerance(), config.maxClasses());
    final ReferenceGeneration referenceGeneration = new ReferenceGeneration();

    final StreamsBuilder builder = new StreamsBuilder();
    // Persistent, and written only by the updater (which Kafka Streams also runs on restore): the
    // reference history outlives compaction of the topic, see ReferenceUpdater.
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(REFERENCES_STORE),
                Serdes.String(),
                Serdes.ByteArray())
            .withLoggingDisabled(),
        config.referencesTopic(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("references-source"),
        () -> new ReferenceUpdater(referenceParser, referenceGeneration, metrics));

    builder.addStateStore(cachedAggregates(PARTIALS_STORE, config));
    builder.addStateStore(cachedAggregates(OPEN_WINDOWS_STORE, config));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(WATERMARKS_STORE),
            Serdes.Integer(),
            WindowSerdes.partitionWatermark()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(LATEST_WINDOWS_STORE),
            Serdes.String(),
            Serdes.ByteArray()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(MODELS_STORE),
            WindowSerdes.modelKey(),
            WindowSerdes.modelSummary()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(DETECTOR_STORE),
            WindowSerdes.modelKey(),
            DetectorSerdes.detectorStatus()));
    builder.addStateStore(cachedAggregates(JOIN_PREDICTIONS_STORE, config));
    builder.addStateStore(cachedAggregates(JOIN_OUTCOMES_STORE, config));
    // Persistent: they hold events per second × horizon entries (docs/BENCHMARKS.md).
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(AWAITING_LABEL_STORE),
            Serdes.String(),
            Serdes.ByteArray()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(EARLY_LABELS_STORE),
            Serdes.String(),
            Serdes.ByteArray()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(JOIN_DEADLINES_STORE),
            Serdes.Bytes(),
            Serdes.ByteArray()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(JOIN_WATERMARKS_STORE),
            Serdes.Integer(),
            WindowSerdes.partitionWatermark()));
    final Duration largestWindow =
        config.windows().stream().map(WindowSpec::size).max(Duration::compareTo).orElseThrow();
    final Duration retention =
        max(HISTORY_RETENTION, largestWindow.multipliedBy(2).plus(config.grace()));
    builder.addStateStore(
        Stores.windowStoreBuilder(
            Stores.persistentWindowStore(WINDOW_HISTORY_STORE, retention, largestWindow, false),
            Serdes.String(),
            Serdes.ByteArray()));

    // The scoring processor sends two kinds of records, each to its named child (ScoringProcessor
    // .PRE_AGGREGATE and .TO_JOIN), rather than through a branch evaluated per event; the DSL types
    // a processor's output once, so each child's stream is that output under its own type. So does
    // the joining processor (LabelJoiner.TO_AGGREGATION and .TO_DEAD_LETTERS).
    final KStream<Object, Object> scored =
        builder.stream(
                config.predictionsTopic(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                    .withName("predictions-source"))
            .process(
                () ->
                    new ScoringProcessor(
                        parser,
                        referenceParser,
                        referenceGeneration,
                        admission,
                        metrics,
                        config.epsilon()),
                Named.as("score"));
    final KStream<String, JoinMessage> labels =
        builder.stream(
                config.labels().topic(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("labels-source"))
            .process(
                () -> new LabelIntake(new LabelParser(parserLimits), inputPartitions),
                Named.as("parse-labels"));
    final KStream<ModelKey, AggregationMessage> directPartials =
        as(scored, ModelKey.class, ScoredPrediction.class)
            .process(
                () ->
                    new PartialAggregator(
                        bucketMillis(config),
                        config.maxClasses(),
                        config.calibrationBins(),
                        FLUSH_INTERVAL),
                Named.as(ScoringProcessor.PRE_AGGREGATE),
                PARTIALS_STORE)
            .repartition(
                Repartitioned.with(
                        WindowSerdes.modelKey(),
                        WindowSerdes.aggregationMessage(
                            config.maxClasses(), config.calibrationBins()))
                    .withName(AGGREGATION_TOPIC)
                    .withStreamPartitioner(new AggregationPartitioner()));
    final KStream<Object, Object> joined =
        as(scored, String.class, JoinMessage.class)
            .merge(labels, Named.as(ScoringProcessor.TO_JOIN))
            .repartition(
                Repartitioned.with(Serdes.String(), JoinSerdes.joinMessage())
                    .withName(JOIN_TOPIC)
                    .withNumberOfPartitions(inputPartitions)
                    .withStreamPartitioner(new JoinPartitioner()))
            .process(
                () ->
                    new LabelJoiner(
                        config,
                        inputPartitions,
                        bucketMillis(config),
                        reportTimeout(config),
                        FLUSH_INTERVAL,
                        metrics),
                Named.as("join"),
                AWAITING_LABEL_STORE,
                EARLY_LABELS_STORE,
                JOIN_DEADLINES_STORE,
                JOIN_WATERMARKS_STORE,
                JOIN_PREDICTIONS_STORE,
                JOIN_OUTCOMES_STORE);
    as(joined, byte[].class, byte[].class)
        .to(
            config.dlqTopic(),
            Produced.with(Serdes.ByteArray(), Serdes.ByteArray())
                .withName(LabelJoiner.TO_DEAD_LETTERS));
    final KStream<ModelKey, AggregationMessage> joinPartials =
        as(joined, ModelKey.class, AggregationMessage.class)
            .filter((key, message) -> true, Named.as(LabelJoiner.TO_AGGREGATION))
            .repartition(
                Repartitioned.with(
                        WindowSerdes.modelKey(),
                        WindowSerdes.aggregationMessage(
                            config.maxClasses(), config.calibrationBins()))
                    .withName(JOIN_AGGREGATION_TOPIC)
                    .withStreamPartitioner(new AggregationPartitioner()));
    final KStream<String, FinalWindow> finalWindows =
        directPartials
            .merge(joinPartials, Named.as("all-partials"))
            .process(
                () ->
                    new WindowCombiner(
                        config,
                        reportTimeout(config),
                        2 * inputPartitions,
                        FLUSH_INTERVAL,
                        referenceParser,
                        referenceGeneration,
                        metrics,
                        watermarkGauge),
                Named.as("combine"),
                OPEN_WINDOWS_STORE,
                WATERMARKS_STORE,
                LATEST_WINDOWS_STORE,
                WINDOW_HISTORY_STORE,
                MODELS_STORE);
    finalWindows
        .mapValues(FinalWindow::json, Named.as("window-records"))
        .to(
            config.windowsTopic(),
            Produced.with(Serdes.String(), Serdes.ByteArray()).withName("windows-sink"));
    final DriftDetector detector = new DriftDetector(config.detector());
    finalWindows
        .process(() -> new DriftDetection(detector), Named.as("detect-drift"), DETECTOR_STORE)
        .to(
            config.alarmsTopic(),
            Produced.with(Serdes.String(), DetectorSerdes.alarmRecord()).withName("alarms-sink"));
    return builder.build();
  }

  /**
   * The Kafka Streams properties for {@code config}: identity, guarantee, the dead-letter handler
   * and every {@code kafka.*} pass-through key.
   */
  public static Properties streamsProperties(
      final ModelmonConfig config, final ModelmonMetrics metrics) {
    final Properties properties = defaultKafkaSettings(config.processingGuarantee());
    properties.putAll(config.kafka());
    properties.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    properties.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    properties.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, config.processingGuarantee());
    config.stateDir().ifPresent(dir -> properties.put(StreamsConfig.STATE_DIR_CONFIG, dir));
    properties.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    properties.put(
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
    properties.put(
        StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, WriteFailureHandler.class);
    properties.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.dlqTopic());
    properties.put(DeadLetterHandler.METRICS_CONFIG, metrics);
    properties.put(DeadLetterHandler.LABELS_TOPIC_CONFIG, config.labels().topic());
    // The global references processor never throws; opting in now silences the 5.0 warning.
    properties.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    return properties;
  }

  /**
   * The Kafka Streams settings modelmon chooses differently from Kafka's defaults under {@code
   * processingGuarantee}; any {@code kafka.*} setting overrides them. Public so that the
   * benchmark's bare Kafka Streams reader runs with the same ones.
   */
  public static Properties defaultKafkaSettings(final String processingGuarantee) {
    final Properties properties = new Properties();
    // RocksDB's off-heap memory bounded for the whole process, so the container's memory limit
    // holds with the heap share the image sets.
    properties.put(
        StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedMemoryRocksDBConfig.class);
    if (StreamsConfig.EXACTLY_ONCE_V2.equals(processingGuarantee)) {
      // Partials reach the windows once per flush interval whatever the commit interval, so
      // Kafka's EOS default of 100 ms would add transactions without making anything visible
      // sooner.
      properties.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, FLUSH_INTERVAL.toMillis());
    }
    return properties;
  }

  /** Key of a (model, version, window) series in the latest-window and history stores. */
  public static String seriesKey(final String model, final String version, final String window) {
    return model + "@" + version + "@" + window;
  }

  /**
   * Which partition of the aggregation topic — and so which instance — owns the windows of a
   * (model, version); for interactive queries with {@code KafkaStreams#queryMetadataForKey}.
   */
  public static StreamPartitioner<ModelKey, Object> ownerPartitioner() {
    return (topic, key, value, numPartitions) ->
        Optional.of(Set.of(AggregationPartitioner.partitionOf(key, numPartitions)));
  }

  /**
   * How long a combining task waits for a partition's report before it takes the partition's task
   * as not running: {@link #MIN_REPORT_TIMEOUT}, or three commit intervals under exactly-once when
   * {@code kafka.commit.interval.ms} makes that longer, since a report becomes visible only when
   * the transaction that sent it commits. Shorter, a partition with no traffic would never count as
   * idle, and the watermark would stall on it.
   */
  static Duration reportTimeout(final ModelmonConfig config) {
    final String commitInterval = config.kafka().get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
    if (commitInterval == null
        || !StreamsConfig.EXACTLY_ONCE_V2.equals(config.processingGuarantee())) {
      return MIN_REPORT_TIMEOUT;
    }
    final Duration threeCommits = Duration.ofMillis(Long.parseLong(commitInterval.trim()) * 3);
    return threeCommits.compareTo(MIN_REPORT_TIMEOUT) > 0 ? threeCommits : MIN_REPORT_TIMEOUT;
  }

  /** Bucket length of the pre-aggregation: the greatest common divisor of the window sizes. */
  static long bucketMillis(final ModelmonConfig config) {
    BigInteger gcd = BigInteger.ZERO;
    for (final WindowSpec window : config.windows()) {
      gcd = gcd.gcd(BigInteger.valueOf(window.sizeMillis()));
    }
    return gcd.longValueExact();
  }

  /** An in-memory, cached and changelogged store of window aggregates by {@link OpenWindowKey}. */
  private static StoreBuilder<KeyValueStore<OpenWindowKey, WindowAggregate>> cachedAggregates(
      final String name, final ModelmonConfig config) {
    return Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(name),
            WindowSerdes.openWindowKey(),
            WindowSerdes.windowAggregate(config.maxClasses(), config.calibrationBins()))
        .withCachingEnabled();
  }

  /**
   * {@code stream} under the key and value types of the records its processor forwards to the child
   * attached to the result: see the comment in {@link #build}.
   */
  @SuppressWarnings("unchecked")
  private static <K, V> KStream<K, V> as(
      final KStream<Object, Object> stream, final Class<K> keyType, final Class<V> valueType) {
    return (KStream<K, V>) (KStream<?, ?>) stream;
  }

  private static Duration max(final Duration a, final Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
