package org.modelmon.bench;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.internals.metrics.StreamsMetricsImpl;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.modelmon.event.ParserLimits;
import org.modelmon.event.PredictionEvent;
import org.modelmon.event.PredictionParser;
import org.modelmon.json.StrictJson;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.metrics.ScoreCounting;
import org.modelmon.reference.ReferenceCache;
import org.modelmon.reference.ReferenceGeneration;
import org.modelmon.reference.ReferenceHistory;
import org.modelmon.reference.ReferenceParser;
import org.modelmon.topology.PredictionScorer;
import org.modelmon.window.ModelKey;
import org.modelmon.window.OpenWindowKey;
import org.modelmon.window.ScoredPrediction;
import org.modelmon.window.WindowAggregate;
import org.modelmon.window.WindowSerdes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * JMH benchmarks of the per-event hot path (docs/BENCHMARKS.md, section 2): parse + validate +
 * score of a prediction event as producers write it, next to a bare Jackson tree parse of the same
 * bytes, Jackson's streaming parser reading every value of those bytes (the floor under any
 * validation built on it), and the rest of what one event costs on the scoring task (counters,
 * pre-aggregation and the store value written per event).
 *
 * <p>Each benchmark cycles through {@value #EVENTS} distinct pre-generated events per class count,
 * so that branch prediction and caches see varied input, not one constant array. Events are of the
 * object form with realistic class names, a version, an id and a label, for a model with a
 * (model-wide) reference, so that every event is scored against it. Run with {@code bin/bench jmh
 * HotPath}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class HotPathBenchmark {

  /** Distinct events cycled through; a power of two. */
  static final int EVENTS = 256;

  /** Events between two additions of the tallies to the counters. */
  static final int FLUSH_EVERY = 1024;

  /** 2026-11-28T14:00:00Z: the record timestamp, and the events' times are a few minutes later. */
  static final long EVENT_TIME_ORIGIN = Instant.parse("2026-11-28T14:00:00Z").toEpochMilli();

  /** The wall clock of the future-skew rule: ten minutes after the origin. */
  static final long NOW = EVENT_TIME_ORIGIN + 600_000L;

  static final double EPSILON = 1e-15;

  /** Bucket of the pre-aggregation with the default windows (1m, 5m, 1h): their gcd. */
  static final long BUCKET_MILLIS = 60_000L;

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static final String[] WORDS = {
    "billing", "shipping", "returns", "account", "security", "payments", "orders", "delivery",
    "refund", "coupon", "loyalty", "warranty", "pricing", "catalog", "search", "reviews",
    "checkout", "subscription", "gift-card", "feedback"
  };

  /** Number of classes K of the events and the reference. */
  @Param({"2", "10", "100"})
  int classes;

  /** How events write {@code timestamp}: an RFC 3339 string, or integer epoch milliseconds. */
  @Param({"rfc3339", "millis"})
  String timestamp;

  private byte[][] events;
  private ScoredPrediction[] scoredEvents;
  private int next;

  private PredictionParser parser;
  private ReferenceCache references;
  private PredictionScorer scorer;
  private ScoreCounting counting;
  private int counted;
  private WindowAggregate aggregate;
  private Serializer<WindowAggregate> aggregateSerializer;
  private Serializer<OpenWindowKey> bucketSerializer;

  @Setup(Level.Trial)
  public void setUp() {
    final String model = modelOf(classes);
    final List<String> names = classNames(classes);
    final SplittableRandom random = new SplittableRandom(42 + classes);

    final KeyValueStore<String, byte[]> store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore("references-store"),
                Serdes.String(),
                Serdes.ByteArray())
            .withLoggingDisabled()
            .build();
    final Properties streamsConfig = new Properties();
    streamsConfig.put(StreamsConfig.APPLICATION_ID_CONFIG, "hot-path-benchmark");
    streamsConfig.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
    // As the application sets it; also keeps the mock context from logging a warning.
    streamsConfig.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    final MockProcessorContext<Object, Object> context = new MockProcessorContext<>(streamsConfig);
    // The mock records DEBUG-level metrics, among them the store's get latency (two clock reads
    // per get); the application runs at the default level, INFO, which does not.
    ((StreamsMetricsImpl) context.metrics())
        .metricsRegistry()
        .config()
        .recordLevel(Sensor.RecordingLevel.INFO);
    store.init(context.getStateStoreContext(), store);
    // In force from before every event, as the references store keeps it.
    store.put(ReferenceHistory.entryKey(model, 0L), referenceJson(model, names, random));
    final ReferenceParser referenceParser = new ReferenceParser(1e-3, 1000);
    references = new ReferenceCache(store, referenceParser, new ReferenceGeneration());
    parser = new PredictionParser(ParserLimits.DEFAULTS);
    scorer = new PredictionScorer(EPSILON);
    counting = new ScoreCounting(ModelmonMetrics.register(new PrometheusRegistry(), 50, 10));
    aggregate = new WindowAggregate(1000, 10);
    aggregateSerializer = WindowSerdes.windowAggregate(1000, 10).serializer();
    bucketSerializer = WindowSerdes.openWindowKey().serializer();

    events = new byte[EVENTS][];
    scoredEvents = new ScoredPrediction[EVENTS];
    final PredictionScorer setUpScorer = new PredictionScorer(EPSILON);
    for (int i = 0; i < EVENTS; i++) {
      events[i] = eventJson(model, names, i, random);
      // Every event must be valid and scored against the reference, or the figures mean nothing.
      final PredictionEvent event = parser.parse(events[i], EVENT_TIME_ORIGIN, NOW, references);
      final ScoredPrediction scored = setUpScorer.score(event);
      if (!scored.referenced()) {
        throw new IllegalStateException("benchmark event not scored against the reference");
      }
      scoredEvents[i] = scored;
    }
  }

  /** The exact production path of steps 1 and 2: parse, validate, look up the reference, score. */
  @Benchmark
  public ScoredPrediction parseValidateScore() {
    final byte[] value = events[next++ & (EVENTS - 1)];
    final PredictionEvent event = parser.parse(value, EVENT_TIME_ORIGIN, NOW, references);
    return scorer.score(event);
  }

  /** What a bare Jackson tree parse of the same bytes costs, without any validation. */
  @Benchmark
  public Object jacksonTree() throws Exception {
    return MAPPER.readTree(events[next++ & (EVENTS - 1)]);
  }

  /**
   * Jackson's streaming parser as modelmon configures it ({@link StrictJson}: duplicate keys
   * detected, fast double parsing) reading every name and value of the same bytes: the floor under
   * any validation built on it.
   */
  @Benchmark
  public void jacksonStreaming(final Blackhole blackhole) throws IOException {
    try (JsonParser parser = StrictJson.createParser(events[next++ & (EVENTS - 1)])) {
      JsonToken token;
      while ((token = parser.nextToken()) != null) {
        switch (token) {
          case FIELD_NAME, VALUE_STRING -> blackhole.consume(parser.getText());
          case VALUE_NUMBER_INT -> blackhole.consume(parser.getLongValue());
          case VALUE_NUMBER_FLOAT -> blackhole.consume(parser.getDoubleValue());
          default -> {}
        }
      }
    }
  }

  /**
   * The rest of the per-event CPU after scoring: the process counters, adding to the partial
   * aggregate, and serialising the bucket key and the aggregate as the cached partials store does
   * on every put.
   */
  @Benchmark
  public void countAndAggregate(final Blackhole blackhole) {
    final ScoredPrediction scored = scoredEvents[next++ & (EVENTS - 1)];
    countAndAggregate(modelOf(classes), "v3", scored, blackhole);
  }

  /** {@link #parseValidateScore} and {@link #countAndAggregate}: the full CPU of one event. */
  @Benchmark
  public void fullPath(final Blackhole blackhole) {
    final byte[] value = events[next++ & (EVENTS - 1)];
    final PredictionEvent event = parser.parse(value, EVENT_TIME_ORIGIN, NOW, references);
    final ScoredPrediction scored = scorer.score(event);
    countAndAggregate(event.model(), event.version(), scored, blackhole);
  }

  private void countAndAggregate(
      final String model,
      final String version,
      final ScoredPrediction scored,
      final Blackhole blackhole) {
    // As ScoringProcessor: the counters of the event's (model, version).
    final ModelKey key = new ModelKey(model, version);
    final String label = scored.classes().get(scored.labelIndex());
    counting.count(key, scored, label);
    // ScoringProcessor adds its tallies to the counters once a second: here every 1,024 events,
    // fewer than a second holds at any rate worth measuring.
    if ((++counted & (FLUSH_EVERY - 1)) == 0) {
      counting.flush();
    }
    // As PartialAggregator: add to the bucket's partial and write it to the store, whose
    // metered layer serialises key and value on every put.
    final long bucketStart = Math.floorDiv(scored.eventTimeMillis(), BUCKET_MILLIS) * BUCKET_MILLIS;
    final OpenWindowKey bucket =
        new OpenWindowKey(bucketStart + BUCKET_MILLIS, BUCKET_MILLIS, model, version);
    aggregate.add(scored);
    blackhole.consume(bucketSerializer.serialize("partials", bucket));
    blackhole.consume(aggregateSerializer.serialize("partials", aggregate));
  }

  // --- event generation ------------------------------------------------------------------------

  static String modelOf(final int classes) {
    return switch (classes) {
      case 2 -> "churn";
      case 10 -> "support-ticket-router";
      default -> "intent-classifier";
    };
  }

  /** Realistic class names: two for churn, else words and word pairs of a support domain. */
  static List<String> classNames(final int classes) {
    if (classes == 2) {
      return List.of("stay", "leave");
    }
    final List<String> names = new ArrayList<>(classes);
    for (int i = 0; names.size() < classes; i++) {
      final String word = WORDS[i % WORDS.length];
      final String qualifier = WORDS[(i / WORDS.length + i) % WORDS.length];
      names.add(i < WORDS.length ? word : word + "." + qualifier);
    }
    return names;
  }

  /** A reference as published on the references topic: a skewed prior over the classes. */
  private static byte[] referenceJson(
      final String model, final List<String> names, final SplittableRandom random) {
    final double[] p = softmax(names.size(), random, 1.0);
    final StringBuilder json = new StringBuilder();
    json.append("{\"model\":\"").append(model).append("\",\"distribution\":{");
    for (int c = 0; c < names.size(); c++) {
      json.append(c == 0 ? "" : ",").append('"').append(names.get(c)).append("\":").append(p[c]);
    }
    return json.append("}}").toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * One event as a producer writes it (docs/reference.md#prediction-events): probabilities with a
   * double's full precision as Python's json or Jackson print them, an event time within a few
   * minutes after the origin, and the true label drawn from the predicted distribution.
   */
  private byte[] eventJson(
      final String model, final List<String> names, final int i, final SplittableRandom random) {
    final double[] q = softmax(names.size(), random, 2.0);
    final long eventTime = EVENT_TIME_ORIGIN + random.nextLong(300_000L);
    final StringBuilder json = new StringBuilder(64 + names.size() * 32);
    json.append("{\"model\":\"")
        .append(model)
        .append("\",\"version\":\"v3\",\"id\":\"req-")
        .append(81 + i * 7919)
        .append("\",\"timestamp\":");
    if (timestamp.equals("millis")) {
      json.append(eventTime);
    } else {
      json.append('"').append(Instant.ofEpochMilli(eventTime)).append('"');
    }
    json.append(",\"probabilities\":{");
    for (int c = 0; c < names.size(); c++) {
      json.append(c == 0 ? "" : ",").append('"').append(names.get(c)).append("\":").append(q[c]);
    }
    json.append("},\"label\":\"").append(names.get(sample(q, random))).append("\"}");
    return json.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static double[] softmax(final int n, final SplittableRandom random, final double scale) {
    final double[] q = new double[n];
    double sum = 0.0;
    for (int c = 0; c < n; c++) {
      q[c] = Math.exp(scale * random.nextGaussian());
      sum += q[c];
    }
    for (int c = 0; c < n; c++) {
      q[c] /= sum;
    }
    return q;
  }

  private static int sample(final double[] q, final SplittableRandom random) {
    double u = random.nextDouble();
    for (int c = 0; c < q.length - 1; c++) {
      u -= q[c];
      if (u < 0) {
        return c;
      }
    }
    return q.length - 1;
  }

  /** Prints one event of each kind, to look at what is measured. */
  public static void main(final String[] args) {
    for (final int k : new int[] {2, 10, 100}) {
      for (final String form : new String[] {"rfc3339", "millis"}) {
        final HotPathBenchmark benchmark = new HotPathBenchmark();
        benchmark.classes = k;
        benchmark.timestamp = form;
        benchmark.setUp();
        System.out.printf(
            Locale.ROOT,
            "K=%d %s, %d bytes: %s%n",
            k,
            form,
            benchmark.events[0].length,
            new String(benchmark.events[0], StandardCharsets.UTF_8));
      }
    }
  }
}
