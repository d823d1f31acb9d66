package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.ModelmonApplication;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaBrokerExtension;
import org.modelmon.testing.PrometheusText;

/**
 * Labels that arrive later, joined on the real broker: a backlog on 4 partitions of predictions and
 * labels, read at once, gives exactly the window records, counters and dead letters that the rules
 * of docs/reference.md#label-events give when the test applies them itself.
 *
 * <p>The backlog: 3000 predictions of two models (churn, object form with a reference and string
 * labels; triage, array form with integer labels) over 20 minutes of event time, an hour or more
 * ago. Some carry their label inline; most carry an {@code id} and no label. Labels come on the
 * labels topic with outcome times from {@code early} before their prediction to two hours after it,
 * against a horizon of one hour; some predictions never get one, some labels name ids no prediction
 * has or predictions labelled inline, some are duplicates with another class and a later outcome
 * time. The ids of the two models overlap, so a join by id alone would mix them. A third model's
 * few predictions never get a label: its windows have a prediction side only.
 *
 * <p>Each labels partition is written in outcome-time order, each predictions partition in
 * prediction-time order (within 2 s, less than grace), all labels before all predictions and with
 * record timestamps at event time: a reading task then reads a label that comes before its
 * prediction (the same partition number) first. Every outcome the test expects is the same in
 * whichever order the join sees a prediction and its labels: the two labels of an id share a
 * partition, so the first is the one with the lower offset, and both lie within the bounds.
 */
@ExtendWith(KafkaBrokerExtension.class)
class LabelJoinIT {

  private static final int PARTITIONS = 4;
  private static final Map<String, Long> WINDOW_SIZES = Map.of("1m", 60_000L, "5m", 300_000L);
  private static final long HORIZON_MILLIS = Duration.ofHours(1).toMillis();
  private static final long EARLY_MILLIS = Duration.ofMinutes(2).toMillis();
  private static final long SPAN_MILLIS = Duration.ofMinutes(20).toMillis();
  private static final int PREDICTIONS = 3000;
  private static final int GHOST_LABELS = 20;

  private static final String CHURN = "churn";
  private static final String TRIAGE = "triage";
  private static final String SILENT = "silent";
  private static final int SILENT_PREDICTIONS = 12;
  private static final List<String> TRIAGE_CLASSES = List.of("low", "mid", "high");

  private final EmbeddedKafkaBroker broker;
  private ModelmonCluster cluster;

  LabelJoinIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** A prediction as produced: its event, its id (or null), whether its label is inline. */
  private record Prediction(
      ExpectedWindows.Event event, String id, boolean inline, int partition) {}

  /** A label event as produced, and the prediction it names, if any. */
  private record Label(
      String model,
      String id,
      int classIndex,
      long outcomeMillis,
      int partition,
      Prediction prediction) {}

  /** What the join must do with a label event, by the documented rules. */
  private enum Fate {
    JOINED,
    UNMATCHED_LABEL,
    DUPLICATE_LABEL
  }

  /** Everything the test produced and what it expects of it. */
  private static final class Backlog {
    final List<Prediction> predictions = new ArrayList<>();
    final List<Label> labels = new ArrayList<>();
    final Map<Label, Fate> fates = new HashMap<>();
    final ExpectedWindows windows = new ExpectedWindows(WINDOW_SIZES);
    final Map<String, Long> inline = new TreeMap<>();
    final Map<String, Long> joined = new TreeMap<>();
    final Map<String, Long> expired = new TreeMap<>();
    final Map<String, Double> delaySeconds = new TreeMap<>();

    Backlog() {
      windows.reference(CHURN, ModelmonCluster.CHURN_CLASSES, ModelmonCluster.CHURN_REFERENCE);
    }

    long count(final Fate fate) {
      return fates.values().stream().filter(f -> f == fate).count();
    }
  }

  @Test
  void shouldScoreEveryPairOnceInTheWindowsOfBothSidesAndAccountForEveryEvent() throws Exception {
    cluster =
        new ModelmonCluster(
            broker,
            Map.of(
                "modelmon.windows", "1m,5m",
                "modelmon.window.grace", "5s",
                "modelmon.window.idle.close", "10s",
                "modelmon.labels.horizon", "1h",
                "modelmon.labels.early", "2m"));
    cluster.createTopics(PARTITIONS);
    cluster.publishReference(
        CHURN, "{\"model\":\"churn\",\"distribution\":{\"stay\":0.8,\"leave\":0.2}}");
    // Four hours ago, so that the latest outcome (2 h 20 min later) and the final batch (3 h
    // later) are still in the past.
    final long start =
        Math.floorDiv(System.currentTimeMillis() - Duration.ofHours(4).toMillis(), 300_000L)
            * 300_000L;
    final Backlog backlog = backlog(new Random(20261207), start);
    decide(backlog);
    final Map<String, Label> labelsAt = produce(backlog);

    final ModelmonApplication instance = cluster.startInstance();

    // Every window of both sides, final, each once and exactly as computed.
    final Map<String, JsonNode> windows = cluster.readWindows(backlog.windows.byKey().size());
    assertThat(windows.keySet())
        .containsExactlyInAnyOrderElementsOf(backlog.windows.byKey().keySet());
    for (final Map.Entry<String, ExpectedWindows.Expected> entry :
        backlog.windows.byKey().entrySet()) {
      ExpectedWindows.assertMatches(entry.getKey(), windows.get(entry.getKey()), entry.getValue());
    }
    assertThat(windows.values())
        .as("windows with outcomes only, and with predictions only")
        .anySatisfy(w -> assertThat(w.get("predictions").asLong()).isZero())
        .anySatisfy(w -> assertThat(w.get("labelled").asLong()).isZero());

    // Dead letters: exactly the unmatched and duplicate labels, byte for byte, from where they
    // were produced.
    final long deadLetters =
        backlog.count(Fate.UNMATCHED_LABEL) + backlog.count(Fate.DUPLICATE_LABEL);
    final Map<String, String> reasons = new TreeMap<>();
    for (final ConsumerRecord<byte[], byte[]> deadLetter : readDeadLetters(deadLetters)) {
      final String topic = header(deadLetter, "__streams.errors.topic");
      final String at =
          header(deadLetter, "__streams.errors.partition")
              + "@"
              + header(deadLetter, "__streams.errors.offset");
      assertThat(topic).as("dead letter %s", at).isEqualTo(cluster.topic("labels"));
      final Label label = labelsAt.get(at);
      assertThat(label).as("dead letter %s: a label produced there", at).isNotNull();
      assertThat(deadLetter.key()).as(at).isNull();
      assertThat(deadLetter.value()).as(at).isEqualTo(labelJson(label));
      assertThat(deadLetter.timestamp()).as(at).isEqualTo(label.outcomeMillis());
      assertThat(reasons.put(at, header(deadLetter, "modelmon.error.reason")))
          .as("%s dead-lettered twice", at)
          .isNull();
    }
    final Map<String, String> expectedReasons = new TreeMap<>();
    labelsAt.forEach(
        (at, label) -> {
          final Fate fate = backlog.fates.get(label);
          if (fate != Fate.JOINED) {
            expectedReasons.put(at, fate.name());
          }
        });
    assertThat(reasons).isEqualTo(expectedReasons);

    // The counters add up, once the last second's counts are in.
    final PrometheusText scrape = settledScrape(instance, backlog);
    assertCounters(scrape, backlog);
    backlog.windows.assertLatestWindowGauges(scrape);
  }

  /**
   * The predictions and labels of the test, and the final batch three hours later that moves every
   * partition's stream time past all of it.
   */
  private static Backlog backlog(final Random random, final long start) {
    final Backlog backlog = new Backlog();
    final Map<String, Integer> nextId = new HashMap<>();
    // Outcome time − prediction time at the bounds, both included, and just outside them.
    final List<Long> edgeDelays =
        new ArrayList<>(
            List.of(
                HORIZON_MILLIS,
                -EARLY_MILLIS,
                HORIZON_MILLIS + 1,
                -EARLY_MILLIS - 1,
                HORIZON_MILLIS,
                -EARLY_MILLIS));
    for (int i = 0; i < PREDICTIONS; i++) {
      final long time = start + ((SPAN_MILLIS - 2000) * i) / PREDICTIONS + random.nextInt(2000);
      final ExpectedWindows.Event event = randomEvent(random, time);
      final String model = event.model();
      final int partition = i % PARTITIONS;
      final double kind = random.nextDouble();
      if (kind < 0.08) {
        backlog.predictions.add(new Prediction(event, null, true, partition));
        continue;
      }
      final String id = "r" + nextId.merge(model, 1, Integer::sum);
      if (kind < 0.12) {
        // Labelled inline and given an id: the join never sees it, so a label event for it is
        // unmatched.
        final Prediction prediction = new Prediction(event, id, true, partition);
        backlog.predictions.add(prediction);
        if (random.nextBoolean()) {
          backlog.labels.add(
              new Label(model, id, event.label(), time + random.nextInt(600_000), partition, null));
        }
        continue;
      }
      final Prediction prediction = new Prediction(event, id, false, partition);
      backlog.predictions.add(prediction);
      if (kind < 0.22) {
        continue; // never labelled
      }
      final long delay;
      final double when = random.nextDouble();
      if (!edgeDelays.isEmpty() && i >= 400 * (7 - edgeDelays.size())) {
        delay = edgeDelays.remove(0); // the next labelled prediction after every 400th
      } else if (when < 0.15) {
        delay = -1 - random.nextInt((int) EARLY_MILLIS); // before the prediction, within early
      } else if (when < 0.55) {
        delay = 1000 + random.nextInt(600_000); // seconds to ten minutes
      } else if (when < 0.80) {
        delay = 600_000 + random.nextInt((int) (HORIZON_MILLIS - 600_000)); // within the horizon
      } else {
        delay = HORIZON_MILLIS + 1 + random.nextInt((int) HORIZON_MILLIS); // past the horizon
      }
      final Label label = new Label(model, id, event.label(), time + delay, partition, prediction);
      backlog.labels.add(label);
      if (delay > 0 && delay <= 600_000 && random.nextDouble() < 0.06) {
        // A second label of another class, later in the same partition: the first wins.
        final int other = (event.label() + 1) % event.classes().size();
        backlog.labels.add(
            new Label(
                model,
                id,
                other,
                label.outcomeMillis() + 1000 + random.nextInt(60_000),
                partition,
                prediction));
      }
    }
    assertThat(edgeDelays).as("every edge case used").isEmpty();
    // A model whose predictions all wait in vain: windows with a prediction side only.
    for (int i = 0; i < SILENT_PREDICTIONS; i++) {
      final double stay = 0.05 + 0.9 * random.nextDouble();
      backlog.predictions.add(
          new Prediction(
              new ExpectedWindows.Event(
                  SILENT,
                  "",
                  start + (SPAN_MILLIS * i) / SILENT_PREDICTIONS + random.nextInt(2000),
                  ModelmonCluster.CHURN_CLASSES,
                  new double[] {stay, 1 - stay},
                  0),
              "r" + i,
              false,
              i % PARTITIONS));
    }
    for (int g = 0; g < GHOST_LABELS; g++) {
      final String model = random.nextBoolean() ? CHURN : TRIAGE;
      backlog.labels.add(
          new Label(
              model,
              "ghost-" + g,
              random.nextInt(model.equals(CHURN) ? 2 : 3),
              start + random.nextInt((int) SPAN_MILLIS),
              random.nextInt(PARTITIONS),
              null));
    }
    // The final batch: on every partition a prediction and its label, three hours on, in the last
    // seconds of a 5m window. Once every partition is idle the watermark runs on from there with
    // the wall clock, so the batch's own windows are final seconds later, not minutes.
    final long later = start + Duration.ofHours(3).plusMinutes(5).toMillis() - 4000;
    for (int partition = 0; partition < PARTITIONS; partition++) {
      final ExpectedWindows.Event event = randomEvent(random, later + 100L * partition);
      final Prediction prediction = new Prediction(event, "final-" + partition, false, partition);
      backlog.predictions.add(prediction);
      backlog.labels.add(
          new Label(
              event.model(),
              prediction.id(),
              event.label(),
              event.timeMillis() + 1000,
              partition,
              prediction));
    }
    return backlog;
  }

  /**
   * Applies the join's rules to the backlog: a label joins the prediction of its (model, id) that
   * had no inline label when its outcome time is within [prediction time − early, prediction time +
   * horizon] and no label joined it before (the first in partition order wins, the next is a
   * duplicate); every other label is unmatched; a prediction no label joined expires. Then adds
   * each prediction side at its time and each joined pair's outcome side at its outcome time.
   */
  private static void decide(final Backlog backlog) {
    final Map<Prediction, Label> joinedBy = new HashMap<>();
    for (final Label label : backlog.labels) {
      final Prediction prediction = label.prediction();
      Fate fate = Fate.UNMATCHED_LABEL;
      if (prediction != null && !prediction.inline()) {
        final long predicted = prediction.event().timeMillis();
        if (joinedBy.containsKey(prediction)) {
          fate = Fate.DUPLICATE_LABEL;
        } else if (label.outcomeMillis() >= predicted - EARLY_MILLIS
            && label.outcomeMillis() <= predicted + HORIZON_MILLIS) {
          fate = Fate.JOINED;
          joinedBy.put(prediction, label);
        }
      }
      backlog.fates.put(label, fate);
    }
    for (final Prediction prediction : backlog.predictions) {
      final ExpectedWindows.Event event = prediction.event();
      final String model = event.model();
      if (prediction.inline()) {
        backlog.windows.add(event);
        backlog.inline.merge(model, 1L, Long::sum);
        continue;
      }
      backlog.windows.addPrediction(event);
      final Label label = joinedBy.get(prediction);
      if (label == null) {
        backlog.expired.merge(model, 1L, Long::sum);
        continue;
      }
      backlog.windows.addOutcome(
          new ExpectedWindows.Event(
              model,
              event.version(),
              event.timeMillis(),
              event.classes(),
              event.q(),
              label.classIndex()),
          label.outcomeMillis());
      backlog.joined.merge(model, 1L, Long::sum);
      // A label before its prediction is observed as a delay of 0 (docs: Metrics).
      backlog.delaySeconds.merge(
          model, Math.max(0, label.outcomeMillis() - event.timeMillis()) / 1000.0, Double::sum);
    }
    // The backlog has every case the test is about.
    assertThat(backlog.count(Fate.DUPLICATE_LABEL)).isPositive();
    assertThat(backlog.count(Fate.UNMATCHED_LABEL)).isGreaterThan(GHOST_LABELS);
    assertThat(backlog.expired.values()).allSatisfy(n -> assertThat(n).isPositive());
    assertThat(backlog.labels)
        .anySatisfy(
            label ->
                assertThat(
                        backlog.fates.get(label) == Fate.JOINED
                            && label.outcomeMillis() < label.prediction().event().timeMillis())
                    .isTrue());
  }

  /**
   * Produces every label, in outcome-time order, then every prediction, in order, each with record
   * timestamp its event time.
   *
   * @return each label by where it was written, {@code partition@offset}
   */
  private Map<String, Label> produce(final Backlog backlog) throws Exception {
    final List<Label> labels = new ArrayList<>(backlog.labels);
    labels.sort(Comparator.comparingLong(Label::outcomeMillis));
    final Map<String, Label> labelsAt = new HashMap<>();
    try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
      final List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (final Label label : labels) {
        sent.add(
            producer.send(
                new ProducerRecord<>(
                    cluster.topic("labels"),
                    label.partition(),
                    label.outcomeMillis(),
                    null,
                    labelJson(label))));
      }
      for (int i = 0; i < labels.size(); i++) {
        final RecordMetadata metadata = sent.get(i).get();
        labelsAt.put(metadata.partition() + "@" + metadata.offset(), labels.get(i));
      }
      for (final Prediction prediction : backlog.predictions) {
        producer.send(
            new ProducerRecord<>(
                cluster.topic("predictions"),
                prediction.partition(),
                prediction.event().timeMillis(),
                null,
                predictionJson(prediction)));
      }
      producer.flush();
    }
    return labelsAt;
  }

  private static ExpectedWindows.Event randomEvent(final Random random, final long time) {
    if (random.nextBoolean()) {
      final double stay = 0.05 + 0.9 * random.nextDouble();
      return new ExpectedWindows.Event(
          CHURN,
          "",
          time,
          ModelmonCluster.CHURN_CLASSES,
          new double[] {stay, 1 - stay},
          random.nextDouble() < stay ? 0 : 1);
    }
    final double[] q = new double[3];
    double total = 0;
    for (int c = 0; c < 3; c++) {
      q[c] = 0.05 + random.nextDouble();
      total += q[c];
    }
    for (int c = 0; c < 3; c++) {
      q[c] /= total;
    }
    final double draw = random.nextDouble();
    final int label = draw < q[0] ? 0 : draw < q[0] + q[1] ? 1 : 2;
    return new ExpectedWindows.Event(TRIAGE, "", time, TRIAGE_CLASSES, q, label);
  }

  /**
   * churn in the object form with an epoch-millisecond timestamp and a class-name label; triage in
   * the array form with its classes, an RFC 3339 timestamp and an index label.
   */
  private static byte[] predictionJson(final Prediction prediction) {
    final ExpectedWindows.Event event = prediction.event();
    final String id = prediction.id() == null ? "" : ",\"id\":\"" + prediction.id() + "\"";
    final String text;
    if (!event.model().equals(TRIAGE)) {
      text =
          String.format(
              Locale.ROOT,
              "{\"model\":\"%s\"%s,\"timestamp\":%d,"
                  + "\"probabilities\":{\"stay\":%s,\"leave\":%s}%s}",
              event.model(),
              id,
              event.timeMillis(),
              event.q()[0],
              event.q()[1],
              prediction.inline()
                  ? ",\"label\":\"" + event.classes().get(event.label()) + "\""
                  : "");
    } else {
      text =
          String.format(
              Locale.ROOT,
              "{\"model\":\"triage\"%s,\"timestamp\":\"%s\",\"classes\":[\"low\",\"mid\",\"high\"],"
                  + "\"probabilities\":[%s]%s}",
              id,
              Instant.ofEpochMilli(event.timeMillis()),
              Arrays.stream(event.q()).mapToObj(Double::toString).collect(Collectors.joining(",")),
              prediction.inline() ? ",\"label\":" + event.label() : "");
    }
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** A label event in the form of its model's predictions: a class name, or an index. */
  private static byte[] labelJson(final Label label) {
    final String text =
        label.model().equals(CHURN)
            ? String.format(
                Locale.ROOT,
                "{\"model\":\"churn\",\"id\":\"%s\",\"label\":\"%s\",\"timestamp\":\"%s\"}",
                label.id(),
                ModelmonCluster.CHURN_CLASSES.get(label.classIndex()),
                Instant.ofEpochMilli(label.outcomeMillis()))
            : String.format(
                Locale.ROOT,
                "{\"model\":\"triage\",\"id\":\"%s\",\"label\":%d,\"timestamp\":%d}",
                label.id(),
                label.classIndex(),
                label.outcomeMillis());
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** The dead-letter topic's records, once {@code expected} have come and none for 3 s more. */
  private List<ConsumerRecord<byte[], byte[]>> readDeadLetters(final long expected) {
    final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    final long deadline = System.nanoTime() + ModelmonCluster.TIMEOUT.toNanos();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "dead-letters-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(cluster.topic("predictions-dlq")));
      boolean settled = false;
      while (!settled) {
        final boolean enough = records.size() >= expected || System.nanoTime() >= deadline;
        final ConsumerRecords<byte[], byte[]> polled =
            consumer.poll(Duration.ofMillis(enough ? 3000 : 500));
        polled.forEach(records::add);
        settled = enough && polled.isEmpty();
      }
    }
    return records;
  }

  private static String header(final ConsumerRecord<byte[], byte[]> record, final String key) {
    final Header header = record.headers().lastHeader(key);
    assertThat(header).as("header %s", key).isNotNull();
    return new String(header.value(), StandardCharsets.UTF_8);
  }

  /**
   * A scrape once the counters show every label event accounted for (counters are added once a
   * second), or after the timeout, to fail on.
   */
  private PrometheusText settledScrape(final ModelmonApplication instance, final Backlog backlog)
      throws Exception {
    final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      final PrometheusText scrape = cluster.scrape(instance);
      final double accounted =
          sum(scrape, "modelmon_labels_joined_total")
              + sum(scrape, "modelmon_invalid_labels_total");
      if (accounted >= backlog.labels.size() || System.nanoTime() >= deadline) {
        return scrape;
      }
      Thread.sleep(500);
    }
  }

  /**
   * Per model: {@code modelmon_predictions_total} = {@code modelmon_labelled_predictions_total}
   * (inline + joined) + {@code modelmon_predictions_awaiting_label} + {@code
   * modelmon_predictions_expired_total}, and each term is what the rules give: labelled = inline +
   * joined, joined = {@code modelmon_labels_joined_total}, awaiting 0 once every horizon has
   * passed, expired = the id'd predictions without a label that no label joined; the delay
   * histogram has one observation per joined pair. Over the application: label events produced =
   * joined + Σ {@code modelmon_invalid_labels_total}, unmatched and duplicates as decided, every
   * other reason 0; no event was late and no prediction invalid.
   */
  private static void assertCounters(final PrometheusText scrape, final Backlog backlog) {
    final Map<String, Long> predictionsByModel = new TreeMap<>();
    backlog.predictions.forEach(p -> predictionsByModel.merge(p.event().model(), 1L, Long::sum));
    for (final String model : List.of(CHURN, TRIAGE, SILENT)) {
      final String[] labels = {"model", model, "version", ""};
      final double predictions = counter(scrape, "modelmon_predictions_total", labels);
      final double labelled = counter(scrape, "modelmon_labelled_predictions_total", labels);
      final double joined = counter(scrape, "modelmon_labels_joined_total", labels);
      final double expired = counter(scrape, "modelmon_predictions_expired_total", labels);
      final double awaiting =
          scrape.value("modelmon_predictions_awaiting_label", labels).orElse(0.0);
      final long inline = backlog.inline.getOrDefault(model, 0L);
      final long joinedPairs = backlog.joined.getOrDefault(model, 0L);
      assertThat(predictions)
          .as("%s predictions", model)
          .isEqualTo((double) predictionsByModel.get(model));
      assertThat(predictions)
          .as("%s predictions = labelled + awaiting + expired", model)
          .isEqualTo(labelled + awaiting + expired);
      assertThat(predictions - inline)
          .as("%s id'd predictions without a label = joined + awaiting + expired", model)
          .isEqualTo(joined + awaiting + expired);
      assertThat(labelled).as("%s labelled", model).isEqualTo((double) (inline + joinedPairs));
      assertThat(joined).as("%s joined", model).isEqualTo((double) joinedPairs);
      assertThat(awaiting).as("%s awaiting", model).isZero();
      assertThat(expired).as("%s expired", model).isEqualTo((double) backlog.expired.get(model));
      assertThat(counter(scrape, "modelmon_label_delay_seconds_count", labels))
          .as("%s delays", model)
          .isEqualTo((double) joinedPairs);
      assertThat(counter(scrape, "modelmon_label_delay_seconds_sum", labels))
          .as("%s Σ delay", model)
          .isCloseTo(backlog.delaySeconds.getOrDefault(model, 0.0), within(1e-6));
    }
    final Map<String, Double> invalidLabels = new TreeMap<>();
    for (final PrometheusText.Sample sample : scrape.samples("modelmon_invalid_labels_total")) {
      invalidLabels.put(sample.labels().get("reason"), sample.value());
    }
    assertThat(invalidLabels.get(Fate.UNMATCHED_LABEL.name()))
        .isEqualTo((double) backlog.count(Fate.UNMATCHED_LABEL));
    assertThat(invalidLabels.get(Fate.DUPLICATE_LABEL.name()))
        .isEqualTo((double) backlog.count(Fate.DUPLICATE_LABEL));
    assertThat(invalidLabels)
        .as("every other reason 0")
        .allSatisfy(
            (reason, count) -> {
              if (!reason.equals("UNMATCHED_LABEL") && !reason.equals("DUPLICATE_LABEL")) {
                assertThat(count).as(reason).isZero();
              }
            });
    assertThat(
            sum(scrape, "modelmon_labels_joined_total")
                + sum(scrape, "modelmon_invalid_labels_total"))
        .as("label events produced = joined + invalid")
        .isEqualTo((double) backlog.labels.size());
    assertThat(sum(scrape, "modelmon_late_events_total")).as("late events").isZero();
    assertThat(sum(scrape, "modelmon_invalid_events_total")).as("invalid predictions").isZero();
  }

  private static double counter(
      final PrometheusText scrape, final String name, final String... labels) {
    return scrape.value(name, labels).orElse(0.0);
  }

  private static double sum(final PrometheusText scrape, final String name) {
    return scrape.samples(name).stream().mapToDouble(PrometheusText.Sample::value).sum();
  }
}
