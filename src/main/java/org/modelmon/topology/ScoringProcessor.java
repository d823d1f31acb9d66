package org.modelmon.topology;

import java.util.Arrays;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.modelmon.event.InvalidEventException;
import org.modelmon.event.InvalidReason;
import org.modelmon.event.PredictionEvent;
import org.modelmon.event.PredictionParser;
import org.modelmon.math.InformationTheory;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.reference.Reference;
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
  private final ModelmonMetrics metrics;
  private final double epsilon;
  private ProcessorContext<ModelKey, ScoredPrediction> context;
  private ReferenceCache references;
  private double[] alignedPrediction = new double[0];

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
    this.metrics = metrics;
    this.epsilon = epsilon;
  }

  @Override
  public void init(final ProcessorContext<ModelKey, ScoredPrediction> context) {
    this.context = context;
    final ReadOnlyKeyValueStore<String, byte[]> store =
        context.getStateStore(ModelmonTopology.REFERENCES_STORE);
    this.references = new ReferenceCache(store, referenceParser, referenceGeneration);
  }

  @Override
  public void process(final Record<byte[], byte[]> record) {
    final PredictionEvent event =
        parser.parse(
            record.value(), record.timestamp(), context.currentSystemTimeMs(), references);
    final ModelKey key = new ModelKey(event.model(), event.version());
    if (!admission.admit(key)) {
      throw new InvalidEventException(
          InvalidReason.TOO_MANY_MODELS, "model limit reached; not admitting " + key);
    }
    final ScoredPrediction scored = score(event, references.find(event.model(), event.version()));
    final ModelmonMetrics.ModelCounters counters = metrics.forModel(key);
    if (scored.referenced()) {
      counters.scoredWithReference(
          scored.logLoss(), event.label(), scored.klDivergence(), scored.referenceCrossEntropy());
    } else {
      counters.scored(scored.logLoss(), event.label());
    }
    context.forward(new Record<>(key, scored, event.eventTimeMillis()));
  }

  private ScoredPrediction score(final PredictionEvent event, final Reference reference) {
    final double[] q = event.probabilities();
    final List<String> classes = event.classes();
    final double logLoss = InformationTheory.logLoss(q[event.labelIndex()], epsilon);
    if (reference == null) {
      return new ScoredPrediction(
          event.eventTimeMillis(), classes, q, event.labelIndex(), logLoss, false, Double.NaN,
          Double.NaN);
    }
    final double[] qOverReference = alignToReference(classes, q, reference);
    final double kl = reference.klDivergenceTo(qOverReference, epsilon);
    final double crossEntropy = InformationTheory.crossEntropyFromIdentity(kl, reference.entropy());
    return new ScoredPrediction(
        event.eventTimeMillis(), classes, q, event.labelIndex(), logLoss, true, kl, crossEntropy);
  }

  /** q re-indexed by the reference's classes (0 for a reference class the event lacks). */
  private double[] alignToReference(
      final List<String> classes, final double[] q, final Reference reference) {
    if (alignedPrediction.length != reference.size()) {
      alignedPrediction = new double[reference.size()];
    } else {
      Arrays.fill(alignedPrediction, 0.0);
    }
    for (int c = 0; c < q.length; c++) {
      final int index = reference.indexOf(classes.get(c));
      if (index >= 0) {
        alignedPrediction[index] = q[c];
      }
    }
    return alignedPrediction;
  }
}
