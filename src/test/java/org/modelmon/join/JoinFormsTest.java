package org.modelmon.join;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;
import org.modelmon.event.LabelValue;
import org.modelmon.event.PredictionForm;

/** The binary forms the join sends and keeps: each read back as written, deadlines in order. */
class JoinFormsTest {

  private static final SourceRecord SOURCE =
      new SourceRecord(
          null,
          "{\"x\": 1}".getBytes(StandardCharsets.UTF_8),
          List.of(
              new SourceRecord.Header("trace", new byte[] {1, 2}),
              new SourceRecord.Header("empty", null)),
          1_795_874_400_000L,
          "labels",
          3,
          42L);

  private static final AwaitingPrediction PREDICTION =
      new AwaitingPrediction(
          "v3",
          1_795_874_405_000L,
          PredictionForm.SCORE,
          List.of("0", "1"),
          new double[] {0.8, 0.2},
          false,
          Double.NaN,
          Double.NaN,
          0.5004024235381879,
          0.3);

  @Test
  void shouldReadBackEveryJoinMessageAsWritten() {
    for (final LabelValue label :
        List.of(
            LabelValue.ofName("yes"),
            LabelValue.ofInteger(7),
            LabelValue.ofInteger(new BigDecimal("1e30")),
            LabelValue.TRUE)) {
      final JoinMessage.Label written = new JoinMessage.Label("churn", "r@1", label, 9L, SOURCE);
      final JoinMessage.Label read =
          (JoinMessage.Label) JoinMessage.fromBytes(JoinMessage.toBytes(written));
      assertThat(read.label()).isEqualTo(label);
      assertThat(read.model()).isEqualTo("churn");
      assertThat(read.id()).isEqualTo("r@1");
      assertThat(read.outcomeTimeMillis()).isEqualTo(9L);
      assertSameSource(read.source());
    }
    final JoinMessage.Prediction prediction =
        (JoinMessage.Prediction)
            JoinMessage.fromBytes(
                JoinMessage.toBytes(new JoinMessage.Prediction("churn", "r", PREDICTION, SOURCE)));
    assertSamePrediction(prediction.prediction());
    assertSameSource(prediction.source());
    assertThat(JoinMessage.fromBytes(JoinMessage.toBytes(new JoinMessage.StreamTime(5, -3L))))
        .isEqualTo(new JoinMessage.StreamTime(5, -3L));
  }

  @Test
  void shouldReadBackAPendingPredictionAsWritten() {
    final PendingPrediction awaiting =
        PendingPrediction.fromBytes(
            PendingPrediction.toBytes(new PendingPrediction.Awaiting(PREDICTION)));
    assertSamePrediction(((PendingPrediction.Awaiting) awaiting).prediction());
    assertThat(
            PendingPrediction.fromBytes(
                PendingPrediction.toBytes(new PendingPrediction.Joined(-5L, "v3"))))
        .isEqualTo(new PendingPrediction.Joined(-5L, "v3"));
  }

  @Test
  void shouldOrderDeadlinesByKindThenTimeAsUnsignedBytes() {
    final List<JoinDeadline> deadlines =
        List.of(
            new JoinDeadline(JoinDeadline.Kind.PREDICTION, -1_000L, "z@z"),
            new JoinDeadline(JoinDeadline.Kind.PREDICTION, 0L, "a@a"),
            new JoinDeadline(JoinDeadline.Kind.PREDICTION, 1_795_874_400_000L, "a@a"),
            new JoinDeadline(JoinDeadline.Kind.LABEL, Long.MIN_VALUE + 1, "m@é"),
            new JoinDeadline(JoinDeadline.Kind.LABEL, 5L, "m@x"));
    final List<Bytes> keys = new ArrayList<>();
    for (final JoinDeadline deadline : deadlines) {
      keys.add(Bytes.wrap(deadline.toBytes()));
      assertThat(JoinDeadline.fromBytes(deadline.toBytes())).isEqualTo(deadline);
    }
    final List<Bytes> sorted = new ArrayList<>(keys);
    sorted.sort(null); // Bytes compare as unsigned bytes, as RocksDB orders keys
    // 'L' < 'P': labels first, then predictions, each by time.
    assertThat(sorted)
        .containsExactly(keys.get(3), keys.get(4), keys.get(0), keys.get(1), keys.get(2));
    final Bytes lowerBound = Bytes.wrap(JoinDeadline.lowerBound(JoinDeadline.Kind.PREDICTION, 0L));
    assertThat(lowerBound.compareTo(keys.get(1))).isNegative();
    assertThat(lowerBound.compareTo(keys.get(0))).isPositive();
  }

  private static void assertSamePrediction(final AwaitingPrediction read) {
    assertThat(read.version()).isEqualTo("v3");
    assertThat(read.predictionTimeMillis()).isEqualTo(PREDICTION.predictionTimeMillis());
    assertThat(read.form()).isEqualTo(PredictionForm.SCORE);
    assertThat(read.classes()).containsExactly("0", "1");
    assertThat(read.probabilities()).containsExactly(0.8, 0.2);
    assertThat(read.referenced()).isFalse();
    assertThat(read.klDivergence()).isNaN();
    assertThat(read.predictionEntropy()).isEqualTo(0.5004024235381879);
    assertThat(read.nullVariance()).isEqualTo(0.3);
  }

  private static void assertSameSource(final SourceRecord read) {
    assertThat(read.key()).isNull();
    assertThat(read.value()).isEqualTo(SOURCE.value());
    assertThat(read.headers()).hasSize(2);
    assertThat(read.headers().get(0).key()).isEqualTo("trace");
    assertThat(read.headers().get(0).value()).containsExactly(1, 2);
    assertThat(read.headers().get(1).value()).isNull();
    assertThat(Arrays.asList(read.timestampMillis(), read.partition(), read.offset()))
        .containsExactly(1_795_874_400_000L, 3, 42L);
    assertThat(read.topic()).isEqualTo("labels");
  }
}
