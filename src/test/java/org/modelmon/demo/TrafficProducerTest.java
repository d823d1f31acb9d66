package org.modelmon.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The pace of the demo's producer and when it switches to drifted traffic. */
class TrafficProducerTest {

  @Test
  void shouldSendAtTheConfiguredRateAndDriftOnTime() throws InterruptedException {
    final MockProducer<byte[], byte[]> producer =
        new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    final TrafficGenerator generator = new TrafficGenerator(DemoModels.defaults(), 0, 1);

    final TrafficProducer traffic =
        TrafficProducer.start(producer, "predictions", generator, 500, Duration.ofMillis(600));
    Thread.sleep(300);
    final boolean driftingEarly = traffic.drifting();
    Thread.sleep(700);
    traffic.close();

    assertThat(driftingEarly).isFalse();
    assertThat(traffic.drifting()).isTrue();
    // One second at 500 events/s; generous bounds for a busy machine.
    assertThat(traffic.sent()).isBetween(350L, 560L);
    assertThat(producer.history()).hasSize((int) traffic.sent());
    assertThat(producer.history()).allMatch(r -> r.topic().equals("predictions"));
    assertThat(producer.closed()).isTrue();
  }

  @Test
  void shouldStopPromptlyOnClose() {
    final MockProducer<byte[], byte[]> producer =
        new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    final TrafficProducer traffic =
        TrafficProducer.start(
            producer,
            "predictions",
            new TrafficGenerator(DemoModels.defaults(), 0, 1),
            0.1,
            Duration.ZERO);

    final long start = System.nanoTime();
    traffic.close();

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(traffic.sent()).as("the first event was due after 10 s").isZero();
  }
}
