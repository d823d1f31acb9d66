package org.modelmon.demo;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.modelmon.demo.DemoEvent.Kind;

/**
 * Produces the demo's prediction events, as JSON bytes, from a seeded {@link SplittableRandom}: the
 * same seed, models and sequence of calls give the same bytes.
 *
 * <p>Per event: a model is picked by its share; the true label is drawn from the current regime's
 * label mix, the features from the label (see {@link Regime}), and the prediction is the model's
 * posterior under its own, pre-drift regime. A share {@code invalidRate} of events is then broken
 * in one of three ways ({@link Kind}), in equal parts.
 *
 * <p>A valid event of a model whose labels come later ({@link SyntheticModel#labelDelay()}) carries
 * no label; its {@link DemoEvent#laterLabel()} is the label event, stamped a random delay later.
 *
 * <p>Not thread-safe: one generator per producing thread.
 */
public final class TrafficGenerator {

  /** Probabilities of a {@link Kind#PROBABILITY_SUM} event are scaled by this: Σq = 0.9. */
  static final double BROKEN_SUM = 0.9;

  /** The label of a {@link Kind#UNKNOWN_LABEL} event: a missing truth, as pipelines write it. */
  static final String UNKNOWN_LABEL = "n/a";

  private static final JsonFactory JSON = new JsonFactory();
  private static final Kind[] BROKEN_KINDS = {
    Kind.TRUNCATED_JSON, Kind.UNKNOWN_LABEL, Kind.PROBABILITY_SUM
  };

  private final List<Sampler> samplers;
  private final double[] cumulativeShares;
  private final double invalidRate;
  private final SplittableRandom random;
  private long sequence;

  /**
   * A generator over {@code models}.
   *
   * @param models at least one model
   * @param invalidRate the share of events to break, in [0, 1]
   * @param seed the random seed
   */
  public TrafficGenerator(
      final List<SyntheticModel> models, final double invalidRate, final long seed) {
    if (models.isEmpty()) {
      throw new IllegalArgumentException("no models");
    }
    if (!(invalidRate >= 0 && invalidRate <= 1)) {
      throw new IllegalArgumentException("invalid rate must be in [0, 1]: " + invalidRate);
    }
    this.samplers = new ArrayList<>();
    final double[] shares = new double[models.size()];
    for (int i = 0; i < models.size(); i++) {
      samplers.add(new Sampler(models.get(i)));
      shares[i] = models.get(i).share();
    }
    this.cumulativeShares = cumulative(shares);
    this.invalidRate = invalidRate;
    this.random = new SplittableRandom(seed);
  }

  /**
   * The next event.
   *
   * @param eventTimeMillis its {@code timestamp}
   * @param drifted whether the drifting models follow their {@code after} regime
   */
  public DemoEvent next(final long eventTimeMillis, final boolean drifted) {
    final Sampler sampler = samplers.get(pick(cumulativeShares, random.nextDouble()));
    final Prediction prediction = sampler.sample(drifted, random);
    final String id = sampler.idPrefix + Long.toString(++sequence);
    final Kind kind =
        random.nextDouble() < invalidRate
            ? BROKEN_KINDS[random.nextInt(BROKEN_KINDS.length)]
            : Kind.VALID;
    final boolean labelLater = kind == Kind.VALID && sampler.model.labelDelay() != null;
    byte[] value = json(sampler.model, id, eventTimeMillis, prediction, kind, !labelLater);
    if (kind == Kind.TRUNCATED_JSON) {
      // Every proper prefix of one JSON object lacks its closing brace, so none is valid.
      value = Arrays.copyOf(value, 1 + random.nextInt(value.length - 1));
    }
    final byte[] key = id.getBytes(StandardCharsets.UTF_8);
    final DemoEvent.LaterLabel laterLabel =
        labelLater ? laterLabel(sampler.model, id, key, eventTimeMillis, prediction.label()) : null;
    return new DemoEvent(sampler.model, kind, key, value, laterLabel);
  }

  private DemoEvent.LaterLabel laterLabel(
      final SyntheticModel model,
      final String id,
      final byte[] key,
      final long predictionTimeMillis,
      final int label) {
    final long min = model.labelDelay().min().toMillis();
    final long max = model.labelDelay().max().toMillis();
    final long outcomeTime =
        predictionTimeMillis + min + (long) (random.nextDouble() * (max - min));
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
    try (JsonGenerator json = JSON.createGenerator(bytes)) {
      json.writeStartObject();
      json.writeStringField("model", model.name());
      json.writeStringField("id", id);
      json.writeNumberField("label", label);
      json.writeStringField("timestamp", Instant.ofEpochMilli(outcomeTime).toString());
      json.writeEndObject();
    } catch (final IOException e) {
      throw new UncheckedIOException("cannot write a label event to memory", e);
    }
    return new DemoEvent.LaterLabel(outcomeTime, key, bytes.toByteArray());
  }

  private static byte[] json(
      final SyntheticModel model,
      final String id,
      final long eventTimeMillis,
      final Prediction prediction,
      final Kind kind,
      final boolean withLabel) {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (JsonGenerator json = JSON.createGenerator(bytes)) {
      json.writeStartObject();
      json.writeStringField("model", model.name());
      json.writeStringField("version", model.version());
      json.writeStringField("id", id);
      json.writeStringField("timestamp", Instant.ofEpochMilli(eventTimeMillis).toString());
      final double[] q = prediction.probabilities();
      if (kind == Kind.PROBABILITY_SUM) {
        // The score form cannot carry a wrong sum, so a broken score event uses the array form.
        json.writeArrayFieldStart("probabilities");
        for (final double p : q) {
          json.writeNumber(p * BROKEN_SUM);
        }
        json.writeEndArray();
      } else if (model.form() == EventForm.SCORE) {
        json.writeNumberField("score", q[1]);
      } else {
        json.writeArrayFieldStart("probabilities");
        for (final double p : q) {
          json.writeNumber(p);
        }
        json.writeEndArray();
      }
      if (kind == Kind.UNKNOWN_LABEL) {
        json.writeStringField("label", UNKNOWN_LABEL);
      } else if (withLabel) {
        json.writeNumberField("label", prediction.label());
      }
      json.writeEndObject();
    } catch (final IOException e) {
      throw new UncheckedIOException("cannot write an event to memory", e);
    }
    return bytes.toByteArray();
  }

  private static double[] cumulative(final double[] weights) {
    final double total = Arrays.stream(weights).sum();
    final double[] cumulative = new double[weights.length];
    double sum = 0;
    for (int i = 0; i < weights.length; i++) {
      sum += weights[i] / total;
      cumulative[i] = sum;
    }
    cumulative[weights.length - 1] = 1.0;
    return cumulative;
  }

  /** The index whose cumulative bucket holds {@code u}, a uniform number in [0, 1). */
  private static int pick(final double[] cumulative, final double u) {
    for (int i = 0; i < cumulative.length - 1; i++) {
      if (u < cumulative[i]) {
        return i;
      }
    }
    return cumulative.length - 1;
  }

  /** A true label and the model's predicted distribution. */
  private record Prediction(int label, double[] probabilities) {}

  /** One model's regimes, precomputed for the per-event path. */
  private static final class Sampler {
    private final SyntheticModel model;
    private final String idPrefix;
    private final World before;
    private final World after;
    // The model's posterior under its own regime: ln p(c) + scale·(x_c − offset_c).
    private final double[] logPrior;
    private final double scale;
    private final double[] beliefOffset;

    Sampler(final SyntheticModel model) {
      this.model = model;
      this.idPrefix = model.name() + (model.version().isEmpty() ? "" : "-" + model.version()) + "-";
      this.before = new World(model.before());
      this.after = new World(model.after());
      final Regime belief = model.before();
      this.logPrior = Arrays.stream(belief.labelMix()).map(Math::log).toArray();
      this.scale = belief.signal() / (belief.noise() * belief.noise());
      this.beliefOffset = belief.offset();
    }

    Prediction sample(final boolean drifted, final SplittableRandom random) {
      final World world = drifted ? after : before;
      final int label = pick(world.cumulativeMix, random.nextDouble());
      final double[] logits = new double[logPrior.length];
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < logits.length; c++) {
        final double feature =
            (c == label ? world.signal : 0) + world.offset[c] + world.noise * random.nextGaussian();
        logits[c] = logPrior[c] + scale * (feature - beliefOffset[c]);
        max = Math.max(max, logits[c]);
      }
      double sum = 0;
      for (int c = 0; c < logits.length; c++) {
        logits[c] = Math.exp(logits[c] - max);
        sum += logits[c];
      }
      for (int c = 0; c < logits.length; c++) {
        logits[c] /= sum;
      }
      return new Prediction(label, logits);
    }
  }

  /** A regime in the form the sampler reads. */
  private static final class World {
    private final double[] cumulativeMix;
    private final double signal;
    private final double noise;
    private final double[] offset;

    World(final Regime regime) {
      this.cumulativeMix = cumulative(regime.labelMix());
      this.signal = regime.signal();
      this.noise = regime.noise();
      this.offset = regime.offset();
    }
  }
}
