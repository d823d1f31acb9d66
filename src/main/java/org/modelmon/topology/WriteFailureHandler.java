package org.modelmon.topology;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' production exception handler for modelmon: a write of modelmon's own records
 * (partials, watermark reports, changelogs, windows) that the cluster refuses is never
 * dead-lettered. A retriable refusal under exactly-once fails the stream thread, which is replaced
 * and resumes every task from the last commit; under at-least-once it is retried. Any other refusal
 * stops the stream with the cause logged.
 *
 * <p>Kafka's default handler would put the input record being processed on the dead-letter topic,
 * valid as it is and without a reason, and cannot even build that record for a write made on a
 * wall-clock schedule (timestamp -1): the dead-letter topic is for invalid input, and nothing
 * written on behalf of valid input may be dropped.
 *
 * <p>Why not retry under exactly-once: Kafka Streams retries a failed write by marking only the
 * writing task corrupted and reviving it, but all tasks of a stream thread share one transaction
 * (exactly_once_v2), and closing the corrupted task aborts it. Kafka commits the other tasks first,
 * except while a rebalance is in progress or for a task that has consumed nothing since it was
 * (re)initialised; such a task keeps, in its processors and in-memory stores, the effects of writes
 * that were aborted (partials it sent and deleted, for one), and its sums are lost. Failing the
 * thread closes every task dirty instead, so all of them resume from the same commit.
 */
public final class WriteFailureHandler implements ProductionExceptionHandler {

  private static final Logger LOG = LoggerFactory.getLogger(WriteFailureHandler.class);

  private boolean exactlyOnce = true;

  @Override
  public void configure(final Map<String, ?> configs) {
    final Object guarantee = configs.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
    // modelmon always sets the guarantee; exactly-once is its default, so assume it if absent.
    exactlyOnce = guarantee == null || StreamsConfig.EXACTLY_ONCE_V2.equals(guarantee.toString());
  }

  @Override
  public Response handleError(
      final ErrorHandlerContext context,
      final ProducerRecord<byte[], byte[]> record,
      final Exception exception) {
    if (exception instanceof RetriableException) {
      if (!exactlyOnce) {
        return Response.retry();
      }
      // The thread fails on a retriable cause, so StreamThreadFailures replaces it.
      LOG.atWarn()
          .addKeyValue("topic", record.topic())
          .addKeyValue("partition", record.partition())
          .setCause(exception)
          .log(
              "Kafka cluster did not take a record modelmon writes; failing the stream thread so"
                  + " that all its tasks resume from the last commit");
      return Response.fail();
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
