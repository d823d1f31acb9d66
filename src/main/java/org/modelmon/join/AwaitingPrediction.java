package org.modelmon.join;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.modelmon.event.PredictionForm;
import org.modelmon.math.InformationTheory;
import org.modelmon.window.ScoredPrediction;

/**
 * A prediction without its label, scored on the prediction side, as it waits for its label: all
 * that scoring the outcome side takes once the label is known.
 *
 * @param version the model version
 * @param predictionTimeMillis the prediction's event time
 * @param form how the prediction gave its classes, which decides what the label means
 * @param classes its class names
 * @param probabilities q over {@code classes}
 * @param referenced whether it was scored against a reference; the next two are NaN if not
 * @param klDivergence D(p‖q)
 * @param referenceCrossEntropy H(p,q)
 * @param predictionEntropy H(q)
 * @param nullVariance V(q)
 */
public record AwaitingPrediction(
    String version,
    long predictionTimeMillis,
    PredictionForm form,
    List<String> classes,
    double[] probabilities,
    boolean referenced,
    double klDivergence,
    double referenceCrossEntropy,
    double predictionEntropy,
    double nullVariance) {

  /** The prediction scored as {@code scored}, of {@code version}, given in {@code form}. */
  public static AwaitingPrediction of(
      final String version, final PredictionForm form, final ScoredPrediction scored) {
    return new AwaitingPrediction(
        version,
        scored.eventTimeMillis(),
        form,
        scored.classes(),
        scored.probabilities(),
        scored.referenced(),
        scored.klDivergence(),
        scored.referenceCrossEntropy(),
        scored.predictionEntropy(),
        scored.nullVariance());
  }

  /** The prediction side: what adds to the window of the prediction's time when it arrives. */
  public ScoredPrediction predictionSide() {
    return scored(predictionTimeMillis, -1, Double.NaN, Double.NaN, false);
  }

  /**
   * The outcome side of the prediction joined with its label, at the label's outcome time: the
   * scores an event with the same prediction and an inline label has, to the last bit.
   *
   * @param labelIndex the label's index in {@link #classes}
   * @param outcomeTimeMillis when the outcome became known
   * @param epsilon {@code modelmon.epsilon}
   */
  public ScoredPrediction outcome(
      final int labelIndex, final long outcomeTimeMillis, final double epsilon) {
    return scored(
        outcomeTimeMillis,
        labelIndex,
        InformationTheory.logLoss(probabilities[labelIndex], epsilon),
        InformationTheory.brierScore(probabilities, labelIndex),
        InformationTheory.topClass(probabilities) == labelIndex);
  }

  private ScoredPrediction scored(
      final long timeMillis,
      final int labelIndex,
      final double logLoss,
      final double brierScore,
      final boolean correct) {
    return new ScoredPrediction(
        timeMillis,
        classes,
        probabilities,
        labelIndex,
        logLoss,
        referenced,
        klDivergence,
        referenceCrossEntropy,
        predictionEntropy,
        nullVariance,
        brierScore,
        probabilities[InformationTheory.topClass(probabilities)],
        correct);
  }

  void writeTo(final DataOutputStream out) throws IOException {
    out.writeUTF(version);
    out.writeLong(predictionTimeMillis);
    out.writeByte(form.ordinal());
    out.writeInt(classes.size());
    for (int c = 0; c < classes.size(); c++) {
      out.writeUTF(classes.get(c));
      out.writeDouble(probabilities[c]);
    }
    out.writeBoolean(referenced);
    out.writeDouble(klDivergence);
    out.writeDouble(referenceCrossEntropy);
    out.writeDouble(predictionEntropy);
    out.writeDouble(nullVariance);
  }

  static AwaitingPrediction readFrom(final DataInputStream in) throws IOException {
    final String version = in.readUTF();
    final long time = in.readLong();
    final PredictionForm form = PredictionForm.values()[in.readByte()];
    final int size = in.readInt();
    final List<String> classes = new ArrayList<>(size);
    final double[] probabilities = new double[size];
    for (int c = 0; c < size; c++) {
      classes.add(in.readUTF());
      probabilities[c] = in.readDouble();
    }
    return new AwaitingPrediction(
        version,
        time,
        form,
        List.copyOf(classes),
        probabilities,
        in.readBoolean(),
        in.readDouble(),
        in.readDouble(),
        in.readDouble(),
        in.readDouble());
  }
}
