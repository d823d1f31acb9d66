package org.modelmon.demo;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's models and the reference records that go with them.
 *
 * <ul>
 *   <li>{@code fraud v1} and {@code fraud v2}: binary, 3% positives, score form; v2 is the sharper
 *       model. Both stay stable. Their labels come later, as chargebacks do: a label event on the
 *       labels topic 10 seconds to a minute after the prediction (short enough that their
 *       detectors, which learn from labelled windows, finish the demo's two-minute warm-up before
 *       the drift).
 *   <li>{@code digits v1}: ten classes with MNIST's training label mix, array form. At the drift it
 *       starts to see another population: more 1s and 7s, noisier inputs, and strokes that look
 *       like 7s. Its log loss, KL, label drift and prediction drift rise.
 * </ul>
 */
public final class DemoModels {

  /** MNIST's training-set label counts, digits 0 to 9. */
  private static final double[] MNIST_COUNTS = {
    5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949
  };

  private static final double[] FRAUD_MIX = {0.97, 0.03};

  private static final LabelDelay FRAUD_LABEL_DELAY =
      new LabelDelay(Duration.ofSeconds(10), Duration.ofMinutes(1));

  private static final JsonFactory JSON = new JsonFactory();

  private DemoModels() {}

  /** The demo's three (model, version) pairs; {@code digits v1} is the one that drifts. */
  public static List<SyntheticModel> defaults() {
    final Regime fraudV1 = Regime.of(FRAUD_MIX, 1.5, 1.0);
    final Regime fraudV2 = Regime.of(FRAUD_MIX, 2.0, 1.0);
    final double[] digitsMix = normalise(MNIST_COUNTS);
    final Regime digits = Regime.of(digitsMix, 2.5, 1.0);
    final double[] driftedMix = new double[digitsMix.length];
    for (int c = 0; c < digitsMix.length; c++) {
      driftedMix[c] = 0.6 * digitsMix[c];
    }
    driftedMix[1] += 0.2;
    driftedMix[7] += 0.2;
    final double[] looksLikeSeven = new double[digitsMix.length];
    looksLikeSeven[7] = 1.0;
    final Regime driftedDigits = new Regime(driftedMix, 2.5, 1.6, looksLikeSeven);
    return List.of(
        SyntheticModel.stable("fraud", "v1", EventForm.SCORE, 0.4, fraudV1)
            .withLabelsLater(FRAUD_LABEL_DELAY),
        SyntheticModel.stable("fraud", "v2", EventForm.SCORE, 0.3, fraudV2)
            .withLabelsLater(FRAUD_LABEL_DELAY),
        new SyntheticModel("digits", "v1", EventForm.ARRAY, 0.3, digits, driftedDigits));
  }

  /**
   * The reference records for {@code models}, key to JSON value (docs/reference.md#references):
   * each model's label mix before the drift. Versions that share a label mix share one model-wide
   * reference (key {@code model}); otherwise each version gets its own ({@code model@version}).
   */
  public static Map<String, byte[]> references(final List<SyntheticModel> models) {
    final Map<String, byte[]> records = new LinkedHashMap<>();
    for (final SyntheticModel model : models) {
      final List<SyntheticModel> versions =
          models.stream().filter(m -> m.name().equals(model.name())).toList();
      final boolean shared =
          versions.stream()
              .allMatch(m -> Arrays.equals(m.before().labelMix(), model.before().labelMix()));
      if (shared) {
        records.putIfAbsent(model.name(), referenceJson(model, null));
      } else {
        records.put(model.name() + "@" + model.version(), referenceJson(model, model.version()));
      }
    }
    return records;
  }

  private static byte[] referenceJson(final SyntheticModel model, final String version) {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JsonGenerator json = JSON.createGenerator(bytes)) {
      json.writeStartObject();
      json.writeStringField("model", model.name());
      if (version != null) {
        json.writeStringField("version", version);
      }
      json.writeObjectFieldStart("distribution");
      final double[] mix = model.before().labelMix();
      final List<String> classes = model.classes();
      for (int c = 0; c < mix.length; c++) {
        json.writeNumberField(classes.get(c), mix[c]);
      }
      json.writeEndObject();
      json.writeEndObject();
    } catch (final IOException e) {
      throw new UncheckedIOException("cannot write a reference to memory", e);
    }
    return bytes.toByteArray();
  }

  private static double[] normalise(final double[] counts) {
    final double total = Arrays.stream(counts).sum();
    return Arrays.stream(counts).map(count -> count / total).toArray();
  }
}
