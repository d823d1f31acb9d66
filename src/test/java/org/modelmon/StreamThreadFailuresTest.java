package org.modelmon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionAbortableException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

class StreamThreadFailuresTest {

  private final AtomicLong clock = new AtomicLong();
  private final StreamThreadFailures failures =
      new StreamThreadFailures(2, Duration.ofMinutes(10), clock::get);

  /** What Kafka Streams 4.4 threw after the broker had been down for over a minute. */
  private static StreamsException brokerOutage() {
    return new StreamsException(
        "Error encountered trying to send record to topic app-partials-store-changelog",
        new KafkaException(
            "Cannot execute transactional method because we are in an error state",
            new TransactionAbortableException(
                "Transaction Request was aborted after exhausting retries.",
                new TimeoutException("Topic app-open-windows-store-changelog not present in"
                    + " metadata after 60000 ms."))));
  }

  @Test
  void shouldReplaceAThreadKilledByABrokerOutage() {
    assertThat(failures.handle(brokerOutage())).isEqualTo(REPLACE_THREAD);
    assertThat(failures.handle(new StreamsException(new TimeoutException("commit timed out"))))
        .isEqualTo(REPLACE_THREAD);
  }

  @Test
  void shouldShutDownOnAnythingElse() {
    assertThat(failures.handle(new StreamsException(new NullPointerException("bug"))))
        .isEqualTo(SHUTDOWN_CLIENT);
    assertThat(failures.handle(new StreamsException(new TopicAuthorizationException("denied"))))
        .isEqualTo(SHUTDOWN_CLIENT);
    assertThat(failures.handle(new OutOfMemoryError())).isEqualTo(SHUTDOWN_CLIENT);
  }

  @Test
  void shouldShutDownWhenTheThreadKeepsFailing() {
    // Given two replacements within ten minutes,
    assertThat(failures.handle(brokerOutage())).isEqualTo(REPLACE_THREAD);
    clock.addAndGet(Duration.ofMinutes(4).toNanos());
    assertThat(failures.handle(brokerOutage())).isEqualTo(REPLACE_THREAD);
    // a third within ten minutes of the first shuts the client down,
    clock.addAndGet(Duration.ofMinutes(5).toNanos());
    assertThat(failures.handle(brokerOutage())).isEqualTo(SHUTDOWN_CLIENT);
  }

  @Test
  void shouldForgetReplacementsOlderThanThePeriod() {
    assertThat(failures.handle(brokerOutage())).isEqualTo(REPLACE_THREAD);
    clock.addAndGet(Duration.ofMinutes(4).toNanos());
    assertThat(failures.handle(brokerOutage())).isEqualTo(REPLACE_THREAD);
    // ten minutes after the first, only the second still counts.
    clock.addAndGet(Duration.ofMinutes(6).toNanos());
    assertThat(failures.handle(brokerOutage())).isEqualTo(REPLACE_THREAD);
  }

  @Test
  void shouldNotLoopOnACyclicCauseChain() {
    final KafkaException first = new KafkaException("first");
    final KafkaException second = new KafkaException("second", first);
    first.initCause(second);
    assertThat(failures.handle(first)).isEqualTo(SHUTDOWN_CLIENT);
  }
}
