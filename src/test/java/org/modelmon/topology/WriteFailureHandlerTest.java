package org.modelmon.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.Response;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.Result;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.SerializationExceptionOrigin;
import org.junit.jupiter.api.Test;
import org.modelmon.config.ConfigLoader;
import org.modelmon.metrics.ModelmonMetrics;

class WriteFailureHandlerTest {

  // A partial written by the flush punctuation: Kafka's default handler would build a dead letter
  // from the input record in process and fail on its timestamp of -1.
  private static final ProducerRecord<byte[], byte[]> PARTIAL =
      new ProducerRecord<>(
          "modelmon-aggregation-repartition", 0, 0L, new byte[] {1}, new byte[] {2});

  private final WriteFailureHandler handler = new WriteFailureHandler();

  @Test
  void shouldStopWithoutADeadLetterWhenTheClusterRefusesARecord() {
    final Response response =
        handler.handleError(null, PARTIAL, new InvalidTimestampException("out of range"));

    assertThat(response.result()).isEqualTo(Result.FAIL);
    assertThat(response.deadLetterQueueRecords()).isEmpty();
  }

  @Test
  void shouldFailTheThreadOnARetriableRefusalUnderExactlyOnce() {
    // Retrying would revive the writing task alone while the abort of the thread's shared
    // transaction also takes other tasks' writes; failing the thread restarts every task from the
    // last commit, and StreamThreadFailures replaces it because the cause is retriable.
    handler.configure(
        Map.of(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2));

    final Response response =
        handler.handleError(null, PARTIAL, new NotEnoughReplicasException("one down"));

    assertThat(response.result()).isEqualTo(Result.FAIL);
    assertThat(response.deadLetterQueueRecords()).isEmpty();
  }

  @Test
  void shouldFailTheThreadOnARetriableRefusalByDefault() {
    // exactly_once_v2 is modelmon's default guarantee.
    handler.configure(Map.of());

    assertThat(handler.handleError(null, PARTIAL, new TimeoutException("no metadata")).result())
        .isEqualTo(Result.FAIL);
  }

  @Test
  void shouldRetryARetriableRefusalUnderAtLeastOnce() {
    handler.configure(
        Map.of(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE));

    final Response response =
        handler.handleError(null, PARTIAL, new NotEnoughReplicasException("one down"));

    assertThat(response.result()).isEqualTo(Result.RETRY);
  }

  @Test
  void shouldStopWithoutADeadLetterWhenARecordCannotBeSerialised() {
    final Response response =
        handler.handleSerializationError(
            null, PARTIAL, new SerializationException("bug"), SerializationExceptionOrigin.VALUE);

    assertThat(response.result()).isEqualTo(Result.FAIL);
    assertThat(response.deadLetterQueueRecords()).isEmpty();
  }

  @Test
  void shouldBeTheStreamsProductionExceptionHandler() {
    assertThat(
            ModelmonTopology.streamsProperties(
                    ConfigLoader.load(Optional.empty(), Map.of(), Map.of()),
                    ModelmonMetrics.register(new PrometheusRegistry(), 50, 10))
                .get(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG))
        .isEqualTo(WriteFailureHandler.class);
  }
}
