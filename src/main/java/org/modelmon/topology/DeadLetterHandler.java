package org.modelmon.topology;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.modelmon.event.InvalidEventException;
import org.modelmon.event.InvalidReason;
import org.modelmon.metrics.ModelmonMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' processing exception handler for modelmon: an invalid event goes to the
 * dead-letter topic, byte-identical with its original headers plus the reason and its source
 * coordinates, is counted, and processing resumes. A retriable Kafka error fails the thread, which
 * is replaced and processes the event again. Any other exception is a bug and stops the stream
 * rather than being silently skipped.
 *
 * <p>Built on Kafka Streams' dead-letter-queue support (KIP-1034): the records returned here are
 * produced by the task's own producer, inside the same transaction under exactly-once.
 */
public final class DeadLetterHandler implements ProcessingExceptionHandler {

  /** Header carrying the {@link org.modelmon.event.InvalidReason} name. */
  public static final String REASON_HEADER = "modelmon.error.reason";

  /** Kafka Streams' own headers for the source coordinates of a dead letter. */
  public static final String TOPIC_HEADER = "__streams.errors.topic";

  public static final String PARTITION_HEADER = "__streams.errors.partition";
  public static final String OFFSET_HEADER = "__streams.errors.offset";

  /** Config key under which the instance's {@link ModelmonMetrics} reaches the handler. */
  static final String METRICS_CONFIG = "modelmon.internal.metrics";

  /** Config key of the labels topic, whose invalid records count as invalid labels. */
  static final String LABELS_TOPIC_CONFIG = "modelmon.internal.labels.topic";

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandler.class);

  private String deadLetterTopic;
  private ModelmonMetrics metrics;
  private String labelsTopic;

  @Override
  public void configure(final Map<String, ?> configs) {
    deadLetterTopic =
        (String) configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
    metrics = (ModelmonMetrics) configs.get(METRICS_CONFIG);
    labelsTopic = (String) configs.get(LABELS_TOPIC_CONFIG);
    if (deadLetterTopic == null || metrics == null || labelsTopic == null) {
      throw new IllegalStateException(
          "DeadLetterHandler needs "
              + StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG
              + ", "
              + METRICS_CONFIG
              + " and "
              + LABELS_TOPIC_CONFIG);
    }
  }

  @Override
  public Response handleError(
      final ErrorHandlerContext context, final Record<?, ?> record, final Exception exception) {
    if (exception instanceof RetriableException) {
      // The cluster did not answer in time (a model admission claim): not the event's fault. The
      // thread fails and is replaced, and the event is processed again from the last commit.
      LOG.atWarn()
          .addKeyValue("topic", context.topic())
          .addKeyValue("partition", context.partition())
          .addKeyValue("offset", context.offset())
          .setCause(exception)
          .log("Kafka cluster too slow while processing an event; it will be processed again");
      return Response.fail();
    }
    if (!(exception instanceof InvalidEventException invalid)) {
      LOG.atError()
          .addKeyValue("topic", context.topic())
          .addKeyValue("partition", context.partition())
          .addKeyValue("offset", context.offset())
          .addKeyValue("processor", context.processorNodeId())
          .setCause(exception)
          .log("Unexpected processing error; stopping");
      return Response.fail();
    }
    if (labelsTopic.equals(context.topic())) {
      metrics.labelJoin().invalidLabel(invalid.reason());
    } else {
      metrics.invalidEvent(invalid.reason());
    }
    LOG.atDebug()
        .addKeyValue("reason", invalid.reason())
        .addKeyValue("partition", context.partition())
        .addKeyValue("offset", context.offset())
        .log("Invalid event sent to the dead-letter topic");
    final Headers headers =
        deadLetterHeaders(
            new RecordHeaders(context.headers().toArray()),
            invalid.reason(),
            context.topic(),
            context.partition(),
            context.offset());
    return Response.resume(
        List.of(
            new ProducerRecord<>(
                deadLetterTopic,
                null,
                context.timestamp(),
                context.sourceRawKey(),
                context.sourceRawValue(),
                headers)));
  }

  /**
   * Adds to {@code headers}, an input record's own, the headers of its dead letter: the reason and
   * the record's source coordinates.
   *
   * @return {@code headers}
   */
  static Headers deadLetterHeaders(
      final Headers headers,
      final InvalidReason reason,
      final String topic,
      final int partition,
      final long offset) {
    headers.add(REASON_HEADER, utf8(reason.name()));
    headers.add(TOPIC_HEADER, utf8(topic));
    headers.add(PARTITION_HEADER, utf8(Integer.toString(partition)));
    headers.add(OFFSET_HEADER, utf8(Long.toString(offset)));
    return headers;
  }

  private static byte[] utf8(final String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
