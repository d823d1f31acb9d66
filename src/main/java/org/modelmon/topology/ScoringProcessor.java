package org.modelmon.topology;

import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.modelmon.admission.ModelAdmission;
import org.modelmon.event.InvalidEventException;
import org.modelmon.event.InvalidReason;
import org.modelmon.event.PredictionEvent;
import org.modelmon.event.PredictionParser;
import org.modelmon.join.AwaitingPrediction;
import org.modelmon.join.JoinKey;
import org.modelmon.join.JoinMessage;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.metrics.ScoreCounting;
import org.modelmon.reference.ReferenceCache;
import org.modelmon.reference.ReferenceGeneration;
import org.modelmon.reference.ReferenceParser;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ScoredPrediction;
import org.modelmon.window.WatermarkTracker;

/**
 * Step 1 and 2 of the pipeline: parses and validates each input record and scores it. An event with
 * its label, or without an id, goes on to the pre-aggregation ({@link #PRE_AGGREGATE}); one without
 * a label but with an id goes to the join ({@link #TO_JOIN}), which scores its prediction side
 * unless another prediction of the same (model, id) already waits ({@code DUPLICATE_ID}). Every
 * flush interval the partition's stream time goes to every joining task as well.
 *
 * <p>An invalid record is rejected by throwing {@link InvalidEventException}; the processing
 * exception handler ({@link DeadLetterHandler}) counts it and sends its original bytes to the
 * dead-letter topic, and the stream goes on. Nothing is counted for a record before it has passed
 * every rule.
 */
final class ScoringProcessor implements Processor<byte[], byte[], Object, Object> {

  /**
   * The child that pre-aggregates: records of {@link ModelKey} and {@link ScoredPrediction}, or of
   * {@link ModelKey#WATERMARK} and no value for an event that went to the join, whose time the
   * partition's stream time must still cover.
   */
  static final String PRE_AGGREGATE = "pre-aggregate";

  /** The child towards the join topic: records of {@link JoinKey} and {@link JoinMessage}. */
  static final String TO_JOIN = "to-join";

  private final PredictionParser parser;
  private final ReferenceParser referenceParser;
  private final ReferenceGeneration referenceGeneration;
  private final ModelAdmission admission;
  private final PredictionScorer scorer;
  private final ScoreCounting counting;
  private ProcessorContext<Object, Object> context;
  private ReferenceCache references;
  private long streamTimeMillis = WatermarkTracker.NONE;

  ScoringProcessor(
      final PredictionParser parser,
      final ReferenceParser referenceParser,
      final ReferenceGeneration referenceGeneration,
      final ModelAdmission admission,
      final ModelmonMetrics metrics,
      final double epsilon) {
    this.parser = parser;
    this.referenceParser = referenceParser;
    this.referenceGeneration = referenceGeneration;
    this.admission = admission;
    this.scorer = new PredictionScorer(epsilon);
    this.counting = new ScoreCounting(metrics);
  }

  @Override
  public void init(final ProcessorContext<Object, Object> context) {
    this.context = context;
    streamTimeMillis = WatermarkTracker.NONE;
    final ReadOnlyKeyValueStore<String, byte[]> store =
        context.getStateStore(ModelmonTopology.REFERENCES_STORE);
    this.references = new ReferenceCache(store, referenceParser, referenceGeneration);
    context.schedule(ModelmonTopology.FLUSH_INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::flush);
  }

  @Override
  public void process(final Record<byte[], byte[]> record) {
    final PredictionEvent event =
        parser.parse(record.value(), record.timestamp(), context.currentSystemTimeMs(), references);
    final ModelKey key = new ModelKey(event.model(), event.version());
    if (!admission.admit(key)) {
      throw new InvalidEventException(
          InvalidReason.TOO_MANY_MODELS, "model limit reached; not admitting " + key);
    }
    final ScoredPrediction scored = scorer.score(event);
    // As in PartialAggregator: an event ahead of the clock advances the stream time only to now.
    streamTimeMillis =
        Math.max(
            streamTimeMillis, Math.min(event.eventTimeMillis(), context.currentSystemTimeMs()));
    // Stamped no later than the input record, which the broker accepted: an event time ahead of
    // the clock (within modelmon.max.future.skew) may be further ahead than the broker accepts for
    // the records written on its behalf (partials changelog, aggregation and join topics).
    final long timestamp = Math.min(event.eventTimeMillis(), record.timestamp());
    if (event.labelled() || event.id() == null) {
      counting.count(key, scored, event.label());
      context.forward(new Record<>(key, scored, timestamp), PRE_AGGREGATE);
      return;
    }
    // The pre-aggregation's report of this partition's stream time covers every event read from
    // it, also those that go to the join, or a partition of mostly such events would hold the
    // windows back at its last one with a label.
    context.forward(new Record<>(ModelKey.WATERMARK, null, timestamp), PRE_AGGREGATE);
    // Counted by the join, once it knows the event is no DUPLICATE_ID.
    context.forward(
        new Record<>(
            JoinKey.of(event.model(), event.id()),
            new JoinMessage.Prediction(
                event.model(),
                event.id(),
                AwaitingPrediction.of(event.version(), event.form(), scored),
                SourceRecords.of(record, context)),
            timestamp),
        TO_JOIN);
  }

  private void flush(final long nowMillis) {
    counting.flush();
    context.forward(
        new Record<>(
            JoinKey.STREAM_TIME,
            new JoinMessage.StreamTime(context.taskId().partition(), streamTimeMillis),
            nowMillis),
        TO_JOIN);
  }

  @Override
  public void close() {
    // What the last second scored, before the task goes (rebalance, shutdown).
    counting.flush();
  }
}
