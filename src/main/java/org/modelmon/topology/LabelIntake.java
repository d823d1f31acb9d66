package org.modelmon.topology;

import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.modelmon.event.InvalidEventException;
import org.modelmon.event.LabelEvent;
import org.modelmon.event.LabelParser;
import org.modelmon.join.JoinKey;
import org.modelmon.join.JoinMessage;
import org.modelmon.window.WatermarkTracker;

/**
 * Reads the labels topic: parses and validates each label record and sends it to the joining task
 * of its (model, id); every flush interval, the partition's stream time goes to every joining task.
 *
 * <p>An invalid record is rejected by throwing {@link InvalidEventException}, as in {@link
 * ScoringProcessor}: {@link DeadLetterHandler} counts it as an invalid label and sends its original
 * bytes to the dead-letter topic.
 */
final class LabelIntake implements Processor<byte[], byte[], String, JoinMessage> {

  private final LabelParser parser;
  private final int predictionPartitions;
  private ProcessorContext<String, JoinMessage> context;
  private long streamTimeMillis = WatermarkTracker.NONE;

  /**
   * @param parser the label parser
   * @param predictionPartitions N, the predictions topic's partitions: the labels topic's partition
   *     p is input partition N + p of the join's watermark
   */
  LabelIntake(final LabelParser parser, final int predictionPartitions) {
    this.parser = parser;
    this.predictionPartitions = predictionPartitions;
  }

  @Override
  public void init(final ProcessorContext<String, JoinMessage> context) {
    this.context = context;
    streamTimeMillis = WatermarkTracker.NONE;
    context.schedule(ModelmonTopology.FLUSH_INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::flush);
  }

  @Override
  public void process(final Record<byte[], byte[]> record) {
    final LabelEvent label =
        parser.parse(record.value(), record.timestamp(), context.currentSystemTimeMs());
    // An outcome time ahead of the clock advances the stream time only up to now, as for events.
    streamTimeMillis =
        Math.max(
            streamTimeMillis, Math.min(label.outcomeTimeMillis(), context.currentSystemTimeMs()));
    context.forward(
        new Record<>(
            JoinKey.of(label.model(), label.id()),
            new JoinMessage.Label(
                label.model(),
                label.id(),
                label.label(),
                label.outcomeTimeMillis(),
                SourceRecords.of(record, context)),
            Math.min(label.outcomeTimeMillis(), record.timestamp())));
  }

  private void flush(final long nowMillis) {
    context.forward(
        new Record<>(
            JoinKey.STREAM_TIME,
            new JoinMessage.StreamTime(
                predictionPartitions + context.taskId().partition(), streamTimeMillis),
            nowMillis));
  }
}
