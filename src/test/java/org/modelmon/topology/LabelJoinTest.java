package org.modelmon.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.modelmon.topology.TopologyFixture.EVENT_TIME_ORIGIN;
import static org.modelmon.topology.TopologyFixture.WALL_CLOCK_START;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBucket;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.modelmon.TestConfigs;
import org.modelmon.event.InvalidReason;
import org.modelmon.metrics.LabelJoinMetrics;
import org.modelmon.metrics.ModelmonMetrics;

/**
 * Labels that arrive on the labels topic, joined to their predictions by (model, id): every rule of
 * docs/reference.md#label-events, in a {@link org.apache.kafka.streams.TopologyTestDriver}.
 *
 * <p>Windows of 1m, grace 10s, horizon 2m, early 30s. The prediction is q = {no: 0.8, yes: 0.2}
 * unless said otherwise; by hand: −ln 0.2 = 1.6094379124341003, −ln 0.8 = 0.2231435513142097, H(q)
 * = 0.5004024235381879, Brier with label yes = 0.8² + 0.8² = 1.28.
 */
class LabelJoinTest {

  private static final Instant T0 = EVENT_TIME_ORIGIN;
  private static final double EXACT = 1e-12;
  private static final double LOSS_YES = 1.6094379124341003;
  private static final double LOSS_NO = 0.2231435513142097;
  private static final double ENTROPY = 0.5004024235381879;
  private static final Duration HORIZON = Duration.ofMinutes(2);
  private static final Duration EARLY = Duration.ofSeconds(30);

  private final List<TopologyFixture> fixtures = new ArrayList<>();
  private TopologyFixture fixture = start();

  private TopologyFixture start() {
    final TopologyFixture started =
        new TopologyFixture(
            TestConfigs.withLabelBounds(
                TestConfigs.config("1m", Duration.ofSeconds(10), Duration.ofMinutes(1)),
                HORIZON,
                EARLY));
    fixtures.add(started);
    return started;
  }

  @AfterEach
  void closeDrivers() {
    fixtures.forEach(TopologyFixture::close);
  }

  private static String prediction(final String id, final Instant time, final String label) {
    return String.format(
        Locale.ROOT,
        "{\"model\": \"churn\", \"id\": \"%s\", \"timestamp\": \"%s\","
            + " \"probabilities\": {\"no\": 0.8, \"yes\": 0.2}%s}",
        id,
        time,
        label == null ? "" : ", \"label\": \"" + label + "\"");
  }

  private static String label(final String model, final String id, final Instant time) {
    return labelJson(model, id, time, "\"yes\"");
  }

  private static String labelJson(
      final String model, final String id, final Instant time, final String labelValue) {
    return String.format(
        Locale.ROOT,
        "{\"model\": \"%s\", \"id\": \"%s\", \"label\": %s, \"timestamp\": \"%s\"}",
        model,
        id,
        labelValue,
        time);
  }

  private void sendLabel(final String json) {
    fixture.sendLabel(json, WALL_CLOCK_START);
  }

  /**
   * Lets more than the idle-close period pass without input: every partition falls idle and the
   * watermark runs on with the wall clock, as when traffic stops.
   */
  private void quiet(final Duration duration) {
    fixture.advanceWallClock(duration);
  }

  private List<JsonNode> windows() {
    return fixture.emittedWindows();
  }

  private JsonNode windowAt(final List<JsonNode> windows, final Instant start) {
    return windows.stream()
        .filter(w -> w.get("startMillis").asLong() == start.toEpochMilli())
        .findFirst()
        .orElseThrow(() -> new AssertionError("no window at " + start + " in " + windows));
  }

  private List<String> deadLetterReasons() {
    final List<String> reasons = new ArrayList<>();
    for (final TestRecord<byte[], byte[]> deadLetter : fixture.deadLetters.readRecordsToList()) {
      reasons.add(header(deadLetter, DeadLetterHandler.REASON_HEADER));
    }
    return reasons;
  }

  private static String header(final TestRecord<byte[], byte[]> record, final String key) {
    final Header header = record.headers().lastHeader(key);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private double invalidLabels(final InvalidReason reason) {
    return fixture.counter(LabelJoinMetrics.INVALID_LABELS, "reason", reason.name());
  }

  private Double awaiting() {
    return fixture.gauge(LabelJoinMetrics.AWAITING, "model", "churn", "version", "");
  }

  @Test
  void shouldAddALaterLabelToTheOutcomeSideOfTheWindowOfItsOutcomeTime() {
    fixture.publishReference(
        "churn", "{\"model\": \"churn\", \"distribution\": {\"no\": 0.9, \"yes\": 0.1}}");
    fixture.send(prediction("a", T0.plusSeconds(5), null));
    fixture.awaitCounters();
    assertThat(awaiting()).isEqualTo(1.0);

    sendLabel(label("churn", "a", T0.plusSeconds(90)));
    quiet(Duration.ofSeconds(80));

    final List<JsonNode> windows = windows();
    final JsonNode predictionWindow = windowAt(windows, T0);
    assertThat(predictionWindow.get("predictions").asLong()).isEqualTo(1);
    assertThat(predictionWindow.get("labelled").asLong()).isZero();
    assertThat(predictionWindow.get("predictionEntropySum").asDouble())
        .isCloseTo(ENTROPY, within(EXACT));

    final JsonNode outcomeWindow = windowAt(windows, T0.plusSeconds(60));
    assertThat(outcomeWindow.get("predictions").asLong()).isZero();
    assertThat(outcomeWindow.get("labelled").asLong()).isEqualTo(1);
    assertThat(outcomeWindow.get("logLossSum").asDouble()).isCloseTo(LOSS_YES, within(EXACT));
    assertThat(outcomeWindow.get("logLossMean").asDouble()).isCloseTo(LOSS_YES, within(EXACT));
    assertThat(outcomeWindow.get("excessLogLossSum").asDouble())
        .isCloseTo(LOSS_YES - ENTROPY, within(EXACT));
    assertThat(outcomeWindow.get("brierScoreSum").asDouble()).isCloseTo(1.28, within(EXACT));
    assertThat(outcomeWindow.get("correct").asLong()).isZero();
    assertThat(outcomeWindow.get("labelCounts").get("yes").asLong()).isEqualTo(1);
    // With the model's reference: label drift and H(p) of the labels it holds, no prediction-side
    // values of predictions it does not hold. H(p) = −0.9 ln 0.9 − 0.1 ln 0.1 by hand.
    assertThat(outcomeWindow.has("labelDrift")).isTrue();
    assertThat(outcomeWindow.get("referenceEntropy").asDouble())
        .isCloseTo(0.3250829733914482, within(EXACT));
    for (final String predictionSide :
        List.of("klDivergenceSum", "predictionDrift", "meanConfidence", "predictionEntropyMean")) {
      assertThat(outcomeWindow.has(predictionSide)).as(predictionSide).isFalse();
    }
    assertThat(predictionWindow.has("labelDrift")).isFalse();
    assertThat(predictionWindow.has("klDivergenceSum")).isTrue();

    assertThat(fixture.counter(ModelmonMetrics.PREDICTIONS, "model", "churn", "version", ""))
        .isEqualTo(1.0);
    assertThat(
            fixture.counter(ModelmonMetrics.LABELLED_PREDICTIONS, "model", "churn", "version", ""))
        .isEqualTo(1.0);
    assertThat(fixture.counter(ModelmonMetrics.LOG_LOSS, "model", "churn", "version", ""))
        .isCloseTo(LOSS_YES, within(EXACT));
    assertThat(
            fixture.counter(
                ModelmonMetrics.LABELS, "model", "churn", "version", "", "class", "yes"))
        .isEqualTo(1.0);
    assertThat(fixture.counter(LabelJoinMetrics.LABELS_JOINED, "model", "churn", "version", ""))
        .isEqualTo(1.0);
    assertThat(awaiting()).isZero();
    // The delay, 85 s, is in the bucket up to 10 minutes and not in the one up to a minute.
    final HistogramSnapshot.HistogramDataPointSnapshot delay =
        fixture.histogram(LabelJoinMetrics.LABEL_DELAY, "model", "churn", "version", "");
    assertThat(delay.getCount()).isEqualTo(1);
    assertThat(delay.getSum()).isCloseTo(85.0, within(EXACT));
    for (final ClassicHistogramBucket bucket : delay.getClassicBuckets()) {
      assertThat(bucket.getCount())
          .as("le=" + bucket.getUpperBound())
          .isEqualTo(bucket.getUpperBound() == 600.0 ? 1 : 0);
    }
    assertThat(deadLetterReasons()).isEmpty();
  }

  @Test
  void shouldScoreAPairJoinedInTheWindowOfItsPredictionExactlyAsTheSameEventWithItsLabelInline() {
    sendLabel(label("churn", "a", T0.plusSeconds(20))); // before its prediction arrives
    fixture.send(prediction("a", T0.plusSeconds(10), null));
    quiet(Duration.ofSeconds(80));
    final List<JsonNode> joined = windows();

    fixture = start();
    fixture.send(prediction("a", T0.plusSeconds(10), "yes"));
    quiet(Duration.ofSeconds(80));
    final List<JsonNode> inline = windows();

    assertThat(joined).hasSize(1);
    assertThat(joined.get(0).toString()).isEqualTo(inline.get(0).toString());
    assertThat(joined.get(0).get("labelled").asLong()).isEqualTo(1);
  }

  @Test
  void shouldJoinALabelAtEitherBoundAndRejectOneAMillisecondBeyond() {
    final Instant p = T0.plusSeconds(40);
    fixture.send(prediction("late-edge", p, null));
    fixture.send(prediction("late-past", p, null));
    fixture.send(prediction("early-edge", p, null));
    fixture.send(prediction("early-past", p, null));
    sendLabel(label("churn", "early-edge", p.minus(EARLY)));
    sendLabel(label("churn", "early-past", p.minus(EARLY).minusMillis(1)));
    sendLabel(label("churn", "late-edge", p.plus(HORIZON)));
    sendLabel(label("churn", "late-past", p.plus(HORIZON).plusMillis(1)));
    fixture.awaitCounters();

    assertThat(fixture.counter(LabelJoinMetrics.LABELS_JOINED, "model", "churn", "version", ""))
        .isEqualTo(2.0);
    assertThat(deadLetterReasons()).containsExactly("UNMATCHED_LABEL", "UNMATCHED_LABEL");
    assertThat(invalidLabels(InvalidReason.UNMATCHED_LABEL)).isEqualTo(2.0);
    assertThat(awaiting()).isEqualTo(2.0);
    // Delays: the horizon's 120 s, and the early edge's −30 s counted as 0, so that the
    // histogram's sum never decreases.
    assertThat(
            fixture
                .histogram(LabelJoinMetrics.LABEL_DELAY, "model", "churn", "version", "")
                .getSum())
        .isCloseTo(120.0, within(EXACT));
  }

  @Test
  void shouldJoinALabelThatComesFirstAtEitherBoundOnly() {
    final Instant l = T0.plusSeconds(40);
    sendLabel(label("churn", "horizon-edge", l));
    sendLabel(label("churn", "horizon-past", l));
    sendLabel(label("churn", "early-edge", l));
    sendLabel(label("churn", "early-past", l));
    fixture.send(prediction("horizon-edge", l.minus(HORIZON), null));
    fixture.send(prediction("horizon-past", l.minus(HORIZON).minusMillis(1), null));
    fixture.send(prediction("early-edge", l.plus(EARLY), null));
    fixture.send(prediction("early-past", l.plus(EARLY).plusMillis(1), null));
    fixture.awaitCounters();
    assertThat(fixture.counter(LabelJoinMetrics.LABELS_JOINED, "model", "churn", "version", ""))
        .isEqualTo(2.0);
    assertThat(deadLetterReasons()).isEmpty();

    // The two labels no prediction joined are unmatched once their join window has passed; the
    // two predictions without a label expire at their horizon.
    quiet(Duration.ofMinutes(4));
    assertThat(deadLetterReasons()).containsExactly("UNMATCHED_LABEL", "UNMATCHED_LABEL");
    assertThat(
            fixture.counter(LabelJoinMetrics.PREDICTIONS_EXPIRED, "model", "churn", "version", ""))
        .isEqualTo(2.0);
    assertThat(awaiting()).isZero();
  }

  @Test
  void shouldLetTheFirstLabelWinInEitherOrder() {
    fixture.send(prediction("after", T0.plusSeconds(5), null));
    sendLabel(label("churn", "after", T0.plusSeconds(6)));
    sendLabel(labelJson("churn", "after", T0.plusSeconds(7), "\"no\""));
    sendLabel(label("churn", "before", T0.plusSeconds(6)));
    sendLabel(labelJson("churn", "before", T0.plusSeconds(7), "\"no\""));
    fixture.send(prediction("before", T0.plusSeconds(5), null));
    quiet(Duration.ofSeconds(80));

    assertThat(deadLetterReasons()).containsExactly("DUPLICATE_LABEL", "DUPLICATE_LABEL");
    assertThat(invalidLabels(InvalidReason.DUPLICATE_LABEL)).isEqualTo(2.0);
    final JsonNode window = windowAt(windows(), T0);
    assertThat(window.get("labelled").asLong()).isEqualTo(2);
    assertThat(window.get("labelCounts").get("yes").asLong()).isEqualTo(2);
    assertThat(window.get("logLossSum").asDouble()).isCloseTo(2 * LOSS_YES, within(EXACT));
  }

  @Test
  void shouldTakeALabelForAPredictionWithItsLabelInlineForUnmatched() {
    fixture.send(prediction("inline", T0.plusSeconds(5), "yes"));
    sendLabel(label("churn", "inline", T0.plusSeconds(6)));
    fixture.awaitCounters();
    // The join keeps nothing of predictions with their label inline (see the reference's Label
    // events): the label waits for a prediction without one until its join window has passed.
    assertThat(deadLetterReasons()).isEmpty();
    quiet(Duration.ofSeconds(80));
    assertThat(deadLetterReasons()).containsExactly("UNMATCHED_LABEL");
    final JsonNode window = windowAt(windows(), T0);
    assertThat(window.get("labelled").asLong()).isEqualTo(1);
  }

  @Test
  void shouldRejectALabelForAModelWithoutPredictionsOnceItsJoinWindowHasPassed() {
    sendLabel(label("nobody", "x", T0.plusSeconds(5)));
    fixture.send(prediction("a", T0.plusSeconds(5), "no"));
    fixture.awaitCounters();
    assertThat(deadLetterReasons()).isEmpty();
    quiet(Duration.ofSeconds(80));

    final List<TestRecord<byte[], byte[]>> deadLetters = fixture.deadLetters.readRecordsToList();
    assertThat(deadLetters).hasSize(1);
    final TestRecord<byte[], byte[]> deadLetter = deadLetters.get(0);
    assertThat(header(deadLetter, DeadLetterHandler.REASON_HEADER)).isEqualTo("UNMATCHED_LABEL");
    assertThat(new String(deadLetter.value(), StandardCharsets.UTF_8))
        .isEqualTo(label("nobody", "x", T0.plusSeconds(5)));
    assertThat(header(deadLetter, DeadLetterHandler.TOPIC_HEADER))
        .isEqualTo(fixture.config.labels().topic());
    assertThat(header(deadLetter, DeadLetterHandler.PARTITION_HEADER)).isEqualTo("0");
    assertThat(header(deadLetter, DeadLetterHandler.OFFSET_HEADER)).isEqualTo("0");
    assertThat(deadLetter.timestamp()).isEqualTo(WALL_CLOCK_START.toEpochMilli());
  }

  @Test
  void shouldRejectALabelThatIsNoneOfThePredictionsClassesAndJoinTheNextOne() {
    fixture.send(prediction("a", T0.plusSeconds(5), null));
    sendLabel(labelJson("churn", "a", T0.plusSeconds(6), "\"maybe\""));
    sendLabel(labelJson("churn", "a", T0.plusSeconds(7), "\"no\""));
    quiet(Duration.ofSeconds(80));

    assertThat(deadLetterReasons()).containsExactly("UNKNOWN_LABEL");
    assertThat(invalidLabels(InvalidReason.UNKNOWN_LABEL)).isEqualTo(1.0);
    assertThat(fixture.counter(ModelmonMetrics.INVALID_EVENTS, "reason", "UNKNOWN_LABEL"))
        .as("a label, not a prediction event")
        .isZero();
    final JsonNode window = windowAt(windows(), T0);
    assertThat(window.get("logLossSum").asDouble()).isCloseTo(LOSS_NO, within(EXACT));
  }

  @Test
  void shouldResolveALaterLabelByThePredictionsForm() {
    // score form: true is class "1"; array form: an integer is an index; object form: an
    // integer names the class with that decimal name.
    fixture.send(
        "{\"model\": \"churn\", \"id\": \"score\", \"timestamp\": \""
            + T0.plusSeconds(1)
            + "\", \"score\": 0.2}");
    fixture.send(
        "{\"model\": \"churn\", \"id\": \"array\", \"timestamp\": \""
            + T0.plusSeconds(2)
            + "\", \"probabilities\": [0.8, 0.2], \"classes\": [\"0\", \"1\"]}");
    fixture.send(
        "{\"model\": \"churn\", \"id\": \"object\", \"timestamp\": \""
            + T0.plusSeconds(3)
            + "\", \"probabilities\": {\"0\": 0.8, \"1\": 0.2}}");
    fixture.send(
        "{\"model\": \"churn\", \"id\": \"object-index\", \"timestamp\": \""
            + T0.plusSeconds(4)
            + "\", \"probabilities\": {\"yes\": 0.2, \"no\": 0.8}}");
    sendLabel(labelJson("churn", "score", T0.plusSeconds(5), "true"));
    sendLabel(labelJson("churn", "array", T0.plusSeconds(5), "1"));
    sendLabel(labelJson("churn", "object", T0.plusSeconds(5), "1"));
    sendLabel(labelJson("churn", "object-index", T0.plusSeconds(5), "0"));
    quiet(Duration.ofSeconds(80));

    // Three pairs score q(y) = 0.2; in the object form 0 names no class: not an index.
    assertThat(deadLetterReasons()).containsExactly("UNKNOWN_LABEL");
    final JsonNode window = windowAt(windows(), T0);
    assertThat(window.get("labelled").asLong()).isEqualTo(3);
    assertThat(window.get("logLossSum").asDouble()).isCloseTo(3 * LOSS_YES, within(EXACT));
    assertThat(window.get("labelCounts").get("1").asLong()).isEqualTo(3);
  }

  @Test
  void shouldRejectASecondPredictionWaitingUnderTheSameIdAndKeepTheFirst() {
    fixture.send(prediction("a", T0.plusSeconds(5), null));
    fixture.send(
        "{\"model\": \"churn\", \"id\": \"a\", \"timestamp\": \""
            + T0.plusSeconds(6)
            + "\", \"probabilities\": {\"no\": 0.5, \"yes\": 0.5}}");
    sendLabel(label("churn", "a", T0.plusSeconds(7)));
    quiet(Duration.ofSeconds(80));

    assertThat(deadLetterReasons()).containsExactly("DUPLICATE_ID");
    assertThat(fixture.counter(ModelmonMetrics.INVALID_EVENTS, "reason", "DUPLICATE_ID"))
        .isEqualTo(1.0);
    final JsonNode window = windowAt(windows(), T0);
    assertThat(window.get("predictions").asLong()).isEqualTo(1);
    assertThat(window.get("logLossSum").asDouble()).isCloseTo(LOSS_YES, within(EXACT));
  }

  @Test
  void shouldCountAPredictionWithoutALabelExpiredOnceItsHorizonHasPassed() {
    fixture.send(prediction("never", T0.plusSeconds(5), null));
    fixture.awaitCounters();
    assertThat(awaiting()).isEqualTo(1.0);

    // The watermark runs with the wall clock once everything is idle: horizon + grace past the
    // prediction is about two minutes and ten seconds from here.
    quiet(Duration.ofSeconds(100));
    assertThat(
            fixture.counter(LabelJoinMetrics.PREDICTIONS_EXPIRED, "model", "churn", "version", ""))
        .isZero();
    quiet(Duration.ofSeconds(60));
    assertThat(
            fixture.counter(LabelJoinMetrics.PREDICTIONS_EXPIRED, "model", "churn", "version", ""))
        .isEqualTo(1.0);
    assertThat(awaiting()).isZero();

    // Its label, now, finds no prediction waiting.
    sendLabel(label("churn", "never", T0.plusSeconds(20)));
    assertThat(deadLetterReasons()).containsExactly("UNMATCHED_LABEL");
  }

  @Test
  void shouldCloseAWindowOnPredictionsThatWaitForTheirLabelAsOnAnyOther() {
    // One prediction with its label, then only predictions that wait for theirs: the partition's
    // stream time is theirs too, so the first window closes without waiting for idle close.
    fixture.send(prediction("inline", T0.plusSeconds(5), "no"));
    fixture.send(prediction("a", T0.plusSeconds(75), null));
    fixture.awaitCounters();
    final JsonNode window = windowAt(windows(), T0);
    assertThat(window.get("predictions").asLong()).isEqualTo(1);
  }

  @Test
  void shouldTrackEveryClassOfAJoinedPredictionInItsOrderWhateverSideComesFirst() {
    // The outcome side alone in a window: its classes in the prediction's order, not the label's.
    fixture.send(prediction("a", T0.plusSeconds(5), null));
    sendLabel(label("churn", "a", T0.plusSeconds(70)));
    quiet(Duration.ofSeconds(80));
    final JsonNode outcomeOnly = windowAt(windows(), T0.plusSeconds(60));
    final List<String> classes = new ArrayList<>();
    outcomeOnly.get("labelCounts").fieldNames().forEachRemaining(classes::add);
    assertThat(classes).containsExactly("no", "yes");
  }

  @Test
  void shouldHoldTheWindowOfALabelWaitingForItsPredictionUntilThePairIsScored() {
    // A label 25 s before its prediction (within early = 30 s) arrives first; the predictions
    // partition moves on to t0+75s, past the end + grace of the label's window [t0, t0+1m), but
    // not past the label's join window: the prediction may still come.
    sendLabel(label("churn", "a", T0.plusSeconds(55)));
    sendLabel(label("other", "b", T0.plusSeconds(200)));
    fixture.send(prediction("d", T0.plusSeconds(5), "no"));
    fixture.send(prediction("c", T0.plusSeconds(75), "no"));
    fixture.awaitCounters();
    assertThat(windows()).as("held by the waiting label").isEmpty();

    fixture.send(prediction("a", T0.plusSeconds(80), null));
    fixture.awaitCounters();
    final JsonNode window = windowAt(windows(), T0);
    assertThat(window.get("predictions").asLong()).isEqualTo(1);
    assertThat(window.get("labelled").asLong()).isEqualTo(2);
    assertThat(window.get("logLossSum").asDouble()).isCloseTo(LOSS_NO + LOSS_YES, within(EXACT));
    assertThat(fixture.counter(ModelmonMetrics.LATE_EVENTS, "model", "churn", "version", ""))
        .isZero();
    assertThat(deadLetterReasons()).isEmpty();
  }

  @Test
  void shouldSendAnInvalidLabelRecordToTheDeadLetterTopicAsAnInvalidLabel() {
    final RecordHeaders headers = new RecordHeaders();
    headers.add("origin", "test".getBytes(StandardCharsets.UTF_8));
    final byte[] value =
        "{\"model\": \"churn\", \"label\": \"yes\"}".getBytes(StandardCharsets.UTF_8);
    fixture.labels.pipeInput(
        new TestRecord<>("k".getBytes(StandardCharsets.UTF_8), value, headers, WALL_CLOCK_START));

    final List<TestRecord<byte[], byte[]>> deadLetters = fixture.deadLetters.readRecordsToList();
    assertThat(deadLetters).hasSize(1);
    assertThat(deadLetters.get(0).value()).isEqualTo(value);
    assertThat(header(deadLetters.get(0), "origin")).isEqualTo("test");
    assertThat(header(deadLetters.get(0), DeadLetterHandler.REASON_HEADER))
        .isEqualTo("MISSING_FIELD");
    assertThat(invalidLabels(InvalidReason.MISSING_FIELD)).isEqualTo(1.0);
    assertThat(fixture.counter(ModelmonMetrics.INVALID_EVENTS, "reason", "MISSING_FIELD")).isZero();
  }
}
