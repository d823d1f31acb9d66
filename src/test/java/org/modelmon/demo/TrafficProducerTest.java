package org.modelmon.demo;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.modelmon.event.LabelEvent;
import org.modelmon.event.LabelParser;
import org.modelmon.event.ParserLimits;
import org.modelmon.event.PredictionEvent;
import org.modelmon.event.PredictionParser;
import org.modelmon.reference.ReferenceLookup;

/**
 * The pace of the demo's producer and when it switches to drifted traffic.
 *
 * <p>No fixed sleeps: each test waits for a condition of the producer, and asserts only what holds
 * however the threads are scheduled — the producer never runs ahead of its rate, never drifts
 * before its time, and hands every event it counts to the producer.
 */
class TrafficProducerTest {

  /** Long enough for any scheduling delay; a condition that holds ends the wait at once. */
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  private static MockProducer<byte[], byte[]> mockProducer() {
    return new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static TrafficGenerator generator() {
    return new TrafficGenerator(DemoModels.defaults(), 0, 1);
  }

  @Test
  void shouldNeverSendAheadOfTheConfiguredRate() {
    final MockProducer<byte[], byte[]> producer = mockProducer();
    final double rate = 500;
    final TrafficProducer traffic =
        TrafficProducer.start(
            producer, "predictions", "labels", generator(), rate, Duration.ofHours(1));
    try {
      awaitCondition(() -> traffic.sent() >= 200, "200 events sent");

      // sent() first, elapsed() after: the events counted were all due by then.
      final long sent = traffic.sent();
      final Duration elapsed = traffic.elapsed();
      assertThat(sent)
          .as("sent after %s at %s/s", elapsed, rate)
          .isLessThanOrEqualTo((long) Math.floor(elapsed.toNanos() / 1e9 * rate));
      assertThat(traffic.drifting()).as("drift is an hour away").isFalse();
    } finally {
      traffic.close();
    }

    // Once closed, nothing more is sent, and every event counted reached the producer.
    final long sent = traffic.sent();
    assertThat(producer.history()).hasSize((int) sent);
    assertThat(traffic.sent()).isEqualTo(sent);
    assertThat(producer.closed()).isTrue();
  }

  @Test
  void shouldSendEachLaterLabelToTheLabelsTopicOnceItsOutcomeTimeHasCome() {
    final SyntheticModel fraud =
        DemoModels.defaults().stream()
            .filter(m -> m.name().equals("fraud"))
            .findFirst()
            .orElseThrow()
            .withLabelsLater(new LabelDelay(Duration.ofMillis(200), Duration.ofMillis(400)));
    final MockProducer<byte[], byte[]> producer = mockProducer();
    final TrafficProducer traffic =
        TrafficProducer.start(
            producer,
            "predictions",
            "labels",
            new TrafficGenerator(List.of(fraud), 0, 3),
            200,
            Duration.ofHours(1));
    try {
      awaitCondition(() -> traffic.labelsSent() >= 50, "50 labels sent");
    } finally {
      traffic.close();
    }

    final Set<String> predictionIds = new HashSet<>();
    final List<ProducerRecord<byte[], byte[]>> labels = new ArrayList<>();
    for (final ProducerRecord<byte[], byte[]> record : producer.history()) {
      if (record.topic().equals("predictions")) {
        predictionIds.add(new String(record.key(), UTF_8));
      } else {
        assertThat(record.topic()).isEqualTo("labels");
        labels.add(record);
      }
    }
    assertThat(labels).hasSize((int) traffic.labelsSent());
    final LabelParser parser = new LabelParser(ParserLimits.DEFAULTS);
    for (final ProducerRecord<byte[], byte[]> record : labels) {
      final LabelEvent label = parser.parse(record.value(), 0, System.currentTimeMillis());
      assertThat(label.id()).isEqualTo(new String(record.key(), UTF_8));
      assertThat(record.timestamp()).isEqualTo(label.outcomeTimeMillis());
      assertThat(predictionIds).as("sent after its prediction").contains(label.id());
    }
  }

  @Test
  void shouldSendValidEventsToTheTopicEachWithItsOwnId() {
    final MockProducer<byte[], byte[]> producer = mockProducer();
    final TrafficProducer traffic =
        TrafficProducer.start(
            producer, "predictions", "labels", generator(), 1000, Duration.ofHours(1));
    try {
      awaitCondition(() -> traffic.sent() >= 100, "100 events sent");
    } finally {
      traffic.close();
    }

    // With no invalid share, the production parser accepts every record; any exception fails.
    final PredictionParser parser = new PredictionParser(ParserLimits.DEFAULTS);
    final long now = System.currentTimeMillis();
    assertThat(producer.history()).hasSizeGreaterThanOrEqualTo(100);
    assertThat(producer.history().stream().map(r -> new String(r.key(), UTF_8)).distinct())
        .hasSize(producer.history().size());
    for (final ProducerRecord<byte[], byte[]> record : producer.history()) {
      assertThat(record.topic()).isEqualTo("predictions");
      final PredictionEvent event = parser.parse(record.value(), now, now, ReferenceLookup.NONE);
      assertThat(event.id()).isEqualTo(new String(record.key(), UTF_8));
    }
  }

  @Test
  void shouldDriftOnlyOnceTheDriftTimeHasPassed() {
    final Duration driftAfter = Duration.ofMillis(300);
    final TrafficProducer traffic =
        TrafficProducer.start(
            mockProducer(), "predictions", "labels", generator(), 200, driftAfter);
    try {
      // Every observation of drifting() is checked against the time read just after it.
      awaitCondition(
          () -> {
            final boolean drifting = traffic.drifting();
            final Duration elapsed = traffic.elapsed();
            assertThat(!drifting || elapsed.compareTo(driftAfter) >= 0)
                .as("drifting after only %s", elapsed)
                .isTrue();
            return drifting;
          },
          "drifting");
    } finally {
      traffic.close();
    }
    assertThat(traffic.elapsed()).isGreaterThanOrEqualTo(driftAfter);
  }

  @Test
  void shouldDriftFromTheFirstEventWhenTheDriftTimeIsZero() {
    final TrafficProducer traffic =
        TrafficProducer.start(
            mockProducer(), "predictions", "labels", generator(), 200, Duration.ZERO);
    try {
      awaitCondition(() -> traffic.sent() >= 1, "an event sent");

      assertThat(traffic.drifting()).isTrue();
    } finally {
      traffic.close();
    }
  }

  @Test
  void shouldStopPromptlyOnClose() {
    final MockProducer<byte[], byte[]> producer = mockProducer();
    final TrafficProducer traffic =
        TrafficProducer.start(producer, "predictions", "labels", generator(), 0.1, Duration.ZERO);

    final long start = System.nanoTime();
    traffic.close();

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(traffic.sent()).as("the first event was due after 10 s").isZero();
    assertThat(producer.history()).isEmpty();
    assertThat(producer.closed()).isTrue();
  }

  /** Polls {@code condition} until it holds; fails after {@link #PATIENCE}. */
  private static void awaitCondition(final BooleanSupplier condition, final String what) {
    final long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as("waiting for %s", what).isNegative();
      LockSupport.parkNanos(1_000_000L); // a poll interval, not a guess at how long anything takes
    }
  }
}
