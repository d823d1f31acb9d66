package org.modelmon.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.modelmon.topology.TopologyFixture.EVENT_TIME_ORIGIN;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.modelmon.TestConfigs;
import org.modelmon.metrics.ModelmonMetrics;

/**
 * Which reference the topology uses when references change: per event the one in force at the
 * event time, per window the one in force at the window's last millisecond, by the reference
 * record's timestamp — not whichever is newest when the event or window is processed.
 *
 * <p>Expected values from SciPy ({@code scipy.stats.entropy(p, q)} for D(p‖q), {@code
 * entropy(p)} for H(p)), with R1 = (0.7, 0.3), R2 = (0.6, 0.4), H = (0.5, 0.5) over (stay,
 * leave).
 */
class ReferenceInForceTest {

  private static final Instant T0 = EVENT_TIME_ORIGIN; // aligned to 1m windows
  private static final double EXACT = 1e-12;

  private static final String R1 = reference(0.7, 0.3);
  private static final String R2 = reference(0.6, 0.4);
  private static final String R3 = reference(0.9, 0.1);
  private static final String HALF = reference(0.5, 0.5);
  /** D(R1‖(0.8, 0.2)). */
  private static final double KL_R1_Q80 = 0.028167557595283388;
  /** D(H‖(0.8, 0.2)) = −½ ln 0.64. */
  private static final double KL_HALF_Q80 = 0.22314355131420974;

  private TopologyFixture fixture;

  @AfterEach
  void close() {
    if (fixture != null) {
      fixture.close();
    }
  }

  private void start() {
    fixture =
        new TopologyFixture(
            TestConfigs.config("1m", Duration.ofSeconds(10), Duration.ofMinutes(1)));
  }

  private static String reference(final double stay, final double leave) {
    return String.format(
        Locale.ROOT,
        "{\"model\": \"churn\", \"distribution\": {\"stay\": %s, \"leave\": %s}}",
        stay,
        leave);
  }

  private static String event(final Instant time, final double stay, final String label) {
    return String.format(
        Locale.ROOT,
        "{\"model\": \"churn\", \"timestamp\": \"%s\", "
            + "\"probabilities\": {\"stay\": %s, \"leave\": %s}, \"label\": \"%s\"}",
        time, stay, Math.round((1 - stay) * 1e9) / 1e9, label);
  }

  private double kl() {
    fixture.awaitCounters();
    return fixture.counter(ModelmonMetrics.KL_DIVERGENCE, "model", "churn", "version", "");
  }

  @Test
  void shouldScoreAnEventBeforeAReferencesEffectiveTimeAgainstTheOlderOne() {
    start();
    fixture.publishReference("churn", R1);
    // Published before any event, in force only from T0 + 30 s.
    fixture.publishReference("churn", HALF, T0.plusSeconds(30));

    fixture.send(event(T0.plusSeconds(10), 0.8, "stay"));
    assertThat(kl()).isCloseTo(KL_R1_Q80, within(EXACT));
    fixture.send(event(T0.plusMillis(29_999), 0.8, "stay"));
    assertThat(kl()).isCloseTo(2 * KL_R1_Q80, within(EXACT));
    fixture.send(event(T0.plusSeconds(30), 0.8, "stay")); // from its first millisecond on
    assertThat(kl()).isCloseTo(2 * KL_R1_Q80 + KL_HALF_Q80, within(EXACT));
    // An event read later but timed earlier still gets the older one.
    fixture.send(event(T0.plusSeconds(5), 0.8, "stay"));
    assertThat(kl()).isCloseTo(3 * KL_R1_Q80 + KL_HALF_Q80, within(EXACT));
    assertThat(
            fixture.counter(
                ModelmonMetrics.REFERENCE_CROSS_ENTROPY, "model", "churn", "version", ""))
        // H(p,q) = D(p‖q) + H(p): H(R1) = 0.6108643020548935, H(H) = ln 2.
        .isCloseTo(
            3 * (KL_R1_Q80 + 0.6108643020548935) + KL_HALF_Q80 + 0.6931471805599453,
            within(EXACT));
  }

  @Test
  void shouldComputeAWindowsDriftsWithTheReferenceInForceAtItsEnd() {
    start();
    fixture.publishReference("churn", R1);
    fixture.publishReference("churn", R2, T0.plusSeconds(50));
    // In force from the window's end: the next window's, not this one's.
    fixture.publishReference("churn", R3, T0.plusSeconds(60));

    fixture.send(event(T0.plusSeconds(5), 0.8, "stay")); // R1
    fixture.send(event(T0.plusSeconds(55), 0.4, "leave")); // R2
    fixture.send(event(T0.plusSeconds(58), 0.7, "stay")); // R2
    fixture.send(event(T0.plusSeconds(75), 0.5, "stay")); // watermark past end + grace
    fixture.advanceWallClock(Duration.ofSeconds(1));

    final List<JsonNode> windows = fixture.emittedWindows();
    assertThat(windows).hasSize(1);
    final JsonNode window = windows.get(0);
    assertThat(window.get("startMillis").asLong()).isEqualTo(T0.toEpochMilli());
    // D(R1‖(0.8, 0.2)) + D(R2‖(0.4, 0.6)) + D(R2‖(0.7, 0.3))
    assertThat(window.get("klDivergenceSum").asDouble())
        .isCloseTo(0.13184300030127372, within(EXACT));
    // H(R2)
    assertThat(window.get("referenceEntropy").asDouble())
        .isCloseTo(0.6730116670092565, within(EXACT));
    // D(R2‖p̂), p̂ = ((2 + 0.5) / 4, (1 + 0.5) / 4)
    assertThat(window.get("labelDrift").asDouble())
        .isCloseTo(0.00132221174287539, within(EXACT));
    // D(R2‖q̄), q̄ = (1.9 / 3, 1.1 / 3)
    assertThat(window.get("predictionDrift").asDouble())
        .isCloseTo(0.0023642180336863397, within(EXACT));
  }

  @Test
  void shouldEndAReferenceFromItsTombstonesTimestamp() {
    start();
    fixture.publishReference("churn", R1);
    fixture.publishReference("churn", null, T0.plusSeconds(30));

    fixture.send(event(T0.plusSeconds(10), 0.8, "stay"));
    fixture.send(event(T0.plusSeconds(40), 0.8, "stay"));
    fixture.send(event(T0.plusSeconds(75), 0.8, "stay"));
    fixture.advanceWallClock(Duration.ofSeconds(1));

    assertThat(
            fixture.counter(
                ModelmonMetrics.REFERENCED_PREDICTIONS, "model", "churn", "version", ""))
        .isEqualTo(1.0);
    assertThat(kl()).isCloseTo(KL_R1_Q80, within(EXACT));
    final List<JsonNode> windows = fixture.emittedWindows();
    assertThat(windows).hasSize(1);
    assertThat(windows.get(0).has("referenceEntropy")).as("none in force at the end").isFalse();
    assertThat(windows.get(0).has("labelDrift")).isFalse();
  }

  @Test
  void shouldCheckClassMismatchAgainstTheReferenceInForceAtTheEventTime() {
    start();
    fixture.publishReference("churn", R1);
    fixture.publishReference(
        "churn",
        "{\"model\": \"churn\", \"distribution\": {\"stay\": 0.5, \"leave\": 0.3, \"maybe\": 0.2}}",
        T0.plusSeconds(30));

    fixture.send(event(T0.plusSeconds(10), 0.8, "stay")); // R1 has no "maybe": valid
    fixture.send(event(T0.plusSeconds(40), 0.8, "stay")); // lacks "maybe": CLASS_MISMATCH
    fixture.awaitCounters();

    assertThat(fixture.counter(ModelmonMetrics.PREDICTIONS, "model", "churn", "version", ""))
        .isEqualTo(1.0);
    assertThat(fixture.counter(ModelmonMetrics.INVALID_EVENTS, "reason", "CLASS_MISMATCH"))
        .isEqualTo(1.0);
    final List<TestRecord<byte[], byte[]>> deadLetters = fixture.deadLetters.readRecordsToList();
    assertThat(deadLetters).hasSize(1);
    assertThat(new String(deadLetters.get(0).value(), StandardCharsets.UTF_8))
        .contains(T0.plusSeconds(40).toString());
  }
}
