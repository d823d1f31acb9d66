package org.modelmon.demo;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.modelmon.demo.DemoEvent.Kind;
import org.modelmon.event.InvalidEventException;
import org.modelmon.event.InvalidReason;
import org.modelmon.event.LabelEvent;
import org.modelmon.event.LabelParser;
import org.modelmon.event.ParserLimits;
import org.modelmon.event.PredictionEvent;
import org.modelmon.event.PredictionParser;
import org.modelmon.reference.Reference;
import org.modelmon.reference.ReferenceLookup;
import org.modelmon.reference.ReferenceParser;

/**
 * The demo's traffic, read back through the real {@link PredictionParser}: labels follow the label
 * mix, predictions are calibrated until the drift, the drift hurts only the drifting model, and
 * exactly the broken events are refused.
 */
class TrafficGeneratorTest {

  private static final long T0 = 1_795_788_000_000L; // 2026-11-28T14:00:00Z
  private static final int EVENTS = 20_000;

  private final PredictionParser parser = new PredictionParser(ParserLimits.DEFAULTS);
  private final ReferenceLookup references = referencesOf(DemoModels.defaults());

  @Test
  void shouldGenerateTheSameBytesFromTheSameSeed() {
    final TrafficGenerator first = new TrafficGenerator(DemoModels.defaults(), 0.05, 7);
    final TrafficGenerator second = new TrafficGenerator(DemoModels.defaults(), 0.05, 7);
    final TrafficGenerator other = new TrafficGenerator(DemoModels.defaults(), 0.05, 8);
    final List<String> differences = new ArrayList<>();
    boolean otherDiffers = false;
    for (int i = 0; i < 2_000; i++) {
      final boolean drifted = i >= 1_000;
      final DemoEvent a = first.next(T0 + i, drifted);
      final DemoEvent b = second.next(T0 + i, drifted);
      final DemoEvent c = other.next(T0 + i, drifted);
      if (!Arrays.equals(a.value(), b.value())
          || !Arrays.equals(a.key(), b.key())
          || a.kind() != b.kind()) {
        differences.add("event " + i);
      }
      otherDiffers |= !Arrays.equals(a.value(), c.value());
    }
    assertThat(differences).isEmpty();
    assertThat(otherDiffers).as("another seed gives other events").isTrue();
  }

  @Test
  void shouldDrawLabelsFromTheLabelMixBeforeAndAfterTheDrift() {
    final SyntheticModel digits = model(DemoModels.defaults(), "digits", "v1");
    final TrafficGenerator generator = new TrafficGenerator(List.of(digits), 0, 1);

    final double[] before = labelShares(generator, false, 10);
    final double[] after = labelShares(generator, true, 10);

    // Each share has a standard error of at most 0.0035 over 20k events; 0.012 is over 3 of them.
    assertThat(before).containsExactly(digits.before().labelMix(), within(0.012));
    assertThat(after).containsExactly(digits.after().labelMix(), within(0.012));
  }

  @Test
  void shouldBeCalibratedBeforeTheDriftAndNotAfter() {
    final SyntheticModel fraud =
        new SyntheticModel(
            "fraud",
            "v1",
            EventForm.SCORE,
            1,
            Regime.of(new double[] {0.97, 0.03}, 1.5, 1.0),
            Regime.of(new double[] {0.92, 0.08}, 1.2, 1.8));
    final TrafficGenerator generator = new TrafficGenerator(List.of(fraud), 0, 3);

    final Calibration before = calibration(generator, false, 30_000);
    final Calibration after = calibration(generator, true, 30_000);

    // The positive rate's standard error over 30k events is 0.001 before the drift.
    assertThat(before.positiveRate()).isCloseTo(0.03, within(0.004));
    assertThat(before.meanScore()).isCloseTo(before.positiveRate(), within(0.004));
    assertThat(after.positiveRate()).isCloseTo(0.08, within(0.006));
    assertThat(after.meanScore() - after.positiveRate())
        .as("after the drift the model over-predicts fraud")
        .isGreaterThan(0.03);
  }

  @Test
  void shouldRaiseTheLogLossOfTheDriftingModelOnly() {
    final TrafficGenerator generator = new TrafficGenerator(DemoModels.defaults(), 0, 11);

    final Map<String, Double> before = meanLogLoss(generator, false);
    final Map<String, Double> after = meanLogLoss(generator, true);

    assertThat(after.get("digits v1")).isGreaterThan(2 * before.get("digits v1"));
    for (final String stable : List.of("fraud v1", "fraud v2")) {
      assertThat(after.get(stable))
          .isCloseTo(before.get(stable), within(0.25 * before.get(stable)));
    }
    assertThat(before.get("fraud v2"))
        .as("v2 is the sharper fraud model")
        .isLessThan(before.get("fraud v1"));
  }

  @Test
  void shouldBreakTheConfiguredShareOfEventsAndOnlyThose() {
    final TrafficGenerator generator = new TrafficGenerator(DemoModels.defaults(), 0.05, 5);
    final Map<Kind, InvalidReason> expectedReason =
        Map.of(
            Kind.TRUNCATED_JSON, InvalidReason.MALFORMED_JSON,
            Kind.UNKNOWN_LABEL, InvalidReason.UNKNOWN_LABEL,
            Kind.PROBABILITY_SUM, InvalidReason.PROBABILITY_SUM);
    final Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
    final List<String> surprises = new ArrayList<>();
    int rejected = 0;
    for (int i = 0; i < EVENTS; i++) {
      final DemoEvent event = generator.next(T0 + i, i % 2 == 0);
      counts.merge(event.kind(), 1, Integer::sum);
      try {
        parser.parse(event.value(), T0 + i, T0 + i, references);
        if (event.kind() != Kind.VALID) {
          surprises.add(event.kind() + " accepted: " + new String(event.value(), UTF_8));
        }
      } catch (final InvalidEventException e) {
        rejected++;
        if (e.reason() != expectedReason.get(event.kind())) {
          surprises.add(
              event.kind() + " refused as " + e.reason() + ": " + new String(event.value(), UTF_8));
        }
      }
    }

    assertThat(surprises).isEmpty();
    // Standard error of the share over 20k events: 0.0015.
    assertThat(rejected / (double) EVENTS).isCloseTo(0.05, within(0.006));
    assertThat(counts.keySet()).containsExactlyInAnyOrder(Kind.values());
  }

  @Test
  void shouldBreakNothingAtAnInvalidRateOfZero() {
    final TrafficGenerator generator = new TrafficGenerator(DemoModels.defaults(), 0, 5);
    for (int i = 0; i < 5_000; i++) {
      final DemoEvent event = generator.next(T0 + i, i % 2 == 0);
      assertThat(event.kind()).isEqualTo(Kind.VALID);
      parser.parse(event.value(), T0 + i, T0 + i, references);
    }
  }

  @Test
  void shouldPublishOneModelWideReferencePerSharedLabelMix() {
    final Map<String, byte[]> records = DemoModels.references(DemoModels.defaults());

    assertThat(records.keySet()).containsExactly("fraud", "digits");
    final Reference fraud = new ReferenceParser(1e-3, 1000).parse("fraud", records.get("fraud"));
    assertThat(fraud.classes()).containsExactly("0", "1");
    assertThat(fraud.distribution()).containsExactly(new double[] {0.97, 0.03}, within(1e-12));
  }

  @Test
  void shouldRefuseAnInvalidRateOutsideZeroToOne() {
    assertThatThrownBy(() -> new TrafficGenerator(DemoModels.defaults(), 1.5, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private double[] labelShares(
      final TrafficGenerator generator, final boolean drifted, final int classes) {
    final double[] shares = new double[classes];
    for (int i = 0; i < EVENTS; i++) {
      shares[parse(generator.next(T0 + i, drifted)).labelIndex()] += 1.0 / EVENTS;
    }
    return shares;
  }

  private Calibration calibration(
      final TrafficGenerator generator, final boolean drifted, final int events) {
    double scores = 0;
    int positives = 0;
    for (int i = 0; i < events; i++) {
      final PredictionEvent event = parse(generator.next(T0 + i, drifted));
      scores += event.probabilities()[1];
      positives += event.labelIndex();
    }
    return new Calibration(scores / events, positives / (double) events);
  }

  /** Mean −ln q(y) per model and version, computed here rather than by modelmon. */
  private Map<String, Double> meanLogLoss(final TrafficGenerator generator, final boolean drifted) {
    final Map<String, double[]> sums = new HashMap<>();
    for (int i = 0; i < 2 * EVENTS; i++) {
      final PredictionEvent event = parse(generator.next(T0 + i, drifted));
      final double[] sum =
          sums.computeIfAbsent(event.model() + " " + event.version(), k -> new double[2]);
      sum[0] += -Math.log(Math.max(event.probabilities()[event.labelIndex()], 1e-15));
      sum[1]++;
    }
    final Map<String, Double> means = new HashMap<>();
    sums.forEach((model, sum) -> means.put(model, sum[0] / sum[1]));
    return means;
  }

  /**
   * The event as modelmon reads it; for a model whose labels come later, with the label of its
   * label event, read by modelmon's label parser and resolved by the prediction's form as the join
   * does.
   */
  private PredictionEvent parse(final DemoEvent event) {
    assertThat(event.kind()).isEqualTo(Kind.VALID);
    final PredictionEvent prediction = parser.parse(event.value(), T0, T0, references);
    if (event.laterLabel() == null) {
      assertThat(prediction.labelled()).isTrue();
      return prediction;
    }
    assertThat(prediction.labelled()).as("its label comes later").isFalse();
    final LabelEvent label =
        new LabelParser(ParserLimits.DEFAULTS)
            .parse(event.laterLabel().value(), T0, event.laterLabel().outcomeTimeMillis());
    assertThat(label.id()).isEqualTo(prediction.id());
    assertThat(label.outcomeTimeMillis()).isEqualTo(event.laterLabel().outcomeTimeMillis());
    return new PredictionEvent(
        prediction.model(),
        prediction.version(),
        prediction.id(),
        prediction.eventTimeMillis(),
        prediction.form(),
        prediction.classes(),
        prediction.probabilities(),
        label.label().indexIn(prediction.classes(), prediction.form()),
        prediction.reference(),
        prediction.referenceIndexes());
  }

  @Test
  void shouldSendTheFraudLabelsLaterWithinTheirDelayAndTheOthersInline() {
    final TrafficGenerator generator = new TrafficGenerator(DemoModels.defaults(), 0, 13);
    long later = 0;
    for (int i = 0; i < EVENTS; i++) {
      final DemoEvent event = generator.next(T0 + i, false);
      if (event.model().name().equals("fraud")) {
        final long delay = event.laterLabel().outcomeTimeMillis() - (T0 + i);
        assertThat(delay).isBetween(10_000L, 60_000L);
        later++;
      } else {
        assertThat(event.laterLabel()).isNull();
      }
    }
    assertThat(later).isGreaterThan(EVENTS / 2);
  }

  private static SyntheticModel model(
      final List<SyntheticModel> models, final String name, final String version) {
    return models.stream()
        .filter(m -> m.name().equals(name) && m.version().equals(version))
        .findFirst()
        .orElseThrow();
  }

  private static ReferenceLookup referencesOf(final List<SyntheticModel> models) {
    final ReferenceParser parser = new ReferenceParser(1e-3, 1000);
    final Map<String, Reference> byKey = new HashMap<>();
    DemoModels.references(models).forEach((key, value) -> byKey.put(key, parser.parse(key, value)));
    return (model, version, time) -> {
      final Reference specific = byKey.get(model + "@" + version);
      return specific != null ? specific : byKey.get(model);
    };
  }

  private record Calibration(double meanScore, double positiveRate) {}
}
