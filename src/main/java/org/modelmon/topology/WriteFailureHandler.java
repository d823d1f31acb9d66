package org.modelmon.topology;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' production exception handler for modelmon: a write of modelmon's own records
 * (partials, watermark reports, changelogs, windows) that the cluster refuses is retried when the
 * error is retriable and otherwise stops the stream with the cause logged, never dead-lettered.
 *
 * <p>Kafka's default handler would put the input record being processed on the dead-letter topic,
 * valid as it is and without a reason, and cannot even build that record for a write made on a
 * wall-clock schedule (timestamp -1): the dead-letter topic is for invalid input, and nothing
 * written on behalf of valid input may be dropped.
 */
public final class WriteFailureHandler implements ProductionExceptionHandler {

  private static final Logger LOG = LoggerFactory.getLogger(WriteFailureHandler.class);

  @Override
  public void configure(final Map<String, ?> configs) {}

  @Override
  public Response handleError(
      final ErrorHandlerContext context,
      final ProducerRecord<byte[], byte[]> record,
      final Exception exception) {
    if (exception instanceof RetriableException) {
      return Response.retry();
    }
    LOG.atError()
        .addKeyValue("topic", record.topic())
        .addKeyValue("partition", record.partition())
        .addKeyValue("timestamp", record.timestamp())
        .setCause(exception)
        .log("The Kafka cluster refused a record modelmon writes; stopping");
    return Response.fail();
  }

  @Override
  public Response handleSerializationError(
      final ErrorHandlerContext context,
      final ProducerRecord record,
      final Exception exception,
      final SerializationExceptionOrigin origin) {
    LOG.atError()
        .addKeyValue("topic", record.topic())
        .addKeyValue("origin", origin)
        .setCause(exception)
        .log("Cannot serialise a record modelmon writes; stopping");
    return Response.fail();
  }
}
