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
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.metrics.ScoreCounting;
import org.modelmon.reference.ReferenceCache;
import org.modelmon.reference.ReferenceGeneration;
import org.modelmon.reference.ReferenceParser;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ScoredPrediction;

/**
 * Step 1 and 2 of the pipeline: parses and validates each input record and scores it.
 *
 * <p>An invalid record is rejected by throwing {@link InvalidEventException}; the processing
 * exception handler ({@link DeadLetterHandler}) counts it and sends its original bytes to the
 * dead-letter topic, and the stream goes on. Nothing is counted for a record before it has passed
 * every rule.
 */
final class ScoringProcessor implements Processor<byte[], byte[], ModelKey, ScoredPrediction> {

  private final PredictionParser parser;
  private final ReferenceParser referenceParser;
  private final ReferenceGeneration referenceGeneration;
  private final ModelAdmission admission;
  private final PredictionScorer scorer;
  private final ScoreCounting counting;
  private ProcessorContext<ModelKey, ScoredPrediction> context;
  private ReferenceCache references;

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
  public void init(final ProcessorContext<ModelKey, ScoredPrediction> context) {
    this.context = context;
    final ReadOnlyKeyValueStore<String, byte[]> store =
        context.getStateStore(ModelmonTopology.REFERENCES_STORE);
    this.references = new ReferenceCache(store, referenceParser, referenceGeneration);
    context.schedule(
        ModelmonTopology.FLUSH_INTERVAL, PunctuationType.WALL_CLOCK_TIME, now -> counting.flush());
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
    counting.count(key, scored, event.label());
    // Stamped no later than the input record, which the broker accepted: an event time ahead of
    // the clock (within modelmon.max.future.skew) may be further ahead than the broker accepts for
    // the records written on its behalf (partials changelog, aggregation topic).
    context.forward(
        new Record<>(key, scored, Math.min(event.eventTimeMillis(), record.timestamp())));
  }

  @Override
  public void close() {
    // What the last second scored, before the task goes (rebalance, shutdown).
    counting.flush();
  }
}
