package org.modelmon.cli;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import org.modelmon.config.ModelmonConfig;
import org.modelmon.config.Texts;
import org.modelmon.event.ParserLimits;
import org.modelmon.json.Names;
import org.modelmon.reference.InvalidReferenceException;
import org.modelmon.reference.Reference;
import org.modelmon.reference.ReferenceParser;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code modelmon reference publish}: validates a model's reference label distribution as the
 * processor will, then writes it to the compacted references topic
 * (docs/reference.md#reference-publish).
 */
@Command(
    name = "publish",
    description = {
      "Publishes a model's reference label distribution p (e.g. the training prior) to the"
          + " compacted references topic (modelmon.topic.references), creating that topic when it"
          + " is missing. The reference is checked by the processor's own rules first; an invalid"
          + " one is never published.",
      "Exit status: 0 published, 2 invalid input or configuration, 1 the cluster could not be"
          + " reached in time or refused the record.",
      "Configuration: defaults < --config FILE < MODELMON_* environment variables < -D flags."
    })
final class ReferencePublishCommand implements Callable<Integer> {

  /** How long creating the topic and sending may take by default. */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /** Classes listed in the confirmation line; the rest are counted. */
  private static final int CLASSES_SHOWN = 10;

  private static final MathContext SHOWN_DIGITS = new MathContext(6);

  @Spec private CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  private boolean help;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "M",
      description = "The model: 1-128 characters of A-Z a-z 0-9 _ . : / -")
  private String model;

  @Option(
      names = "--version",
      paramLabel = "V",
      description = {
        "The model version the reference is for (0-64 characters of the same set). Without it the"
            + " reference is model-wide; a version's own reference wins over the model-wide one."
      })
  private String version = "";

  @ArgGroup(exclusive = true, multiplicity = "1")
  private Source source;

  @Option(
      names = "--effective-from",
      paramLabel = "TIME",
      description = {
        "When the reference comes into force: an RFC 3339 date-time (2026-11-28T14:00:00Z) or"
            + " epoch milliseconds; default now. It is the record's timestamp: events from then on"
            + " are scored against it, earlier ones (a backlog, a replay) against the reference"
            + " before. Brokers refuse a time more than message.timestamp.after.max.ms (1h by"
            + " default) ahead."
      })
  private String effectiveFrom;

  @Mixin private ConfigOptions configOptions;

  private final Map<String, String> environment;
  private final Duration timeout;

  /**
   * @param environment the environment variables, a configuration layer
   * @param timeout how long creating the topic and sending may take
   */
  ReferencePublishCommand(final Map<String, String> environment, final Duration timeout) {
    this.environment = Map.copyOf(environment);
    this.timeout = timeout;
  }

  /** Where p comes from: given, or counted from labels. Exactly one. */
  static final class Source {

    @Option(
        names = "--distribution",
        paramLabel = "CLASS=P[,CLASS=P...]",
        description = {
          "p itself, e.g. stay=0.8,leave=0.2: at least 2 classes, each p in [0, 1], summing to 1"
              + " within modelmon.probability.tolerance. Spaces around items are ignored; a class"
              + " name with a comma or surrounding spaces needs --from-labels."
        })
    private String distribution;

    @Option(
        names = "--from-labels",
        paramLabel = "FILE",
        description = {
          "p as the mix of the labels in a JSON Lines file (UTF-8, one JSON value per line):"
              + " prediction events (their label, resolved as the processor resolves it; events of"
              + " other models or without a label are ignored), label events ({\"model\", \"id\","
              + " \"label\"}; other models ignored) or bare labels (\"stay\", an integer such as 1,"
              + " or true/false for \"1\"/\"0\"). Blank lines are skipped."
        })
    private Path labelsFile;
  }

  @Override
  public Integer call() throws InterruptedException {
    final ModelmonConfig config = configOptions.load(environment);
    if (!Names.isModel(model)) {
      throw new InvalidInputException(
          "--model "
              + Texts.quote(model)
              + ": not a model name (1-"
              + Names.MAX_MODEL_LENGTH
              + " characters of A-Z a-z 0-9 _ . : / -)");
    }
    if (!Names.isVersion(version)) {
      throw new InvalidInputException(
          "--version "
              + Texts.quote(version)
              + ": not a version (0-"
              + Names.MAX_VERSION_LENGTH
              + " characters of A-Z a-z 0-9 _ . : / -)");
    }

    final long effectiveFromMillis =
        effectiveFrom == null ? System.currentTimeMillis() : parseEffectiveFrom(effectiveFrom);

    final ReferenceInputs.LabelCounts labels;
    final Map<String, BigDecimal> distribution;
    final String option;
    if (source.distribution != null) {
      labels = null;
      distribution = ReferenceInputs.parseDistribution(source.distribution);
      option = "--distribution";
    } else {
      labels = ReferenceInputs.readLabels(source.labelsFile, model, ParserLimits.from(config));
      distribution = labels.distribution();
      option = "--from-labels " + source.labelsFile;
    }

    final ReferenceRecord record = new ReferenceRecord(model, version, distribution);
    final Reference reference;
    try {
      reference =
          record.validate(new ReferenceParser(config.probabilityTolerance(), config.maxClasses()));
    } catch (final InvalidReferenceException e) {
      throw new InvalidInputException(option + ": not a valid reference: " + e.getMessage());
    }

    try {
      new ReferencePublisher(config, timeout).publish(record, effectiveFromMillis);
    } catch (final ReferencePublisher.PublishException e) {
      final PrintWriter err = spec.commandLine().getErr();
      err.println("modelmon: " + e.getMessage());
      err.flush();
      return 1;
    }

    final PrintWriter out = spec.commandLine().getOut();
    final StringBuilder line = new StringBuilder(summary(config, record, reference, labels));
    if (effectiveFrom != null) {
      line.append("; in force from ").append(Instant.ofEpochMilli(effectiveFromMillis));
    }
    out.println(line);
    out.flush();
    return 0;
  }

  /** {@code --effective-from}: RFC 3339 or epoch milliseconds, not before 1970. */
  private static long parseEffectiveFrom(final String text) {
    final String trimmed = text.strip();
    long millis;
    try {
      millis =
          trimmed.chars().allMatch(Character::isDigit) && !trimmed.isEmpty()
              ? Long.parseLong(trimmed)
              : OffsetDateTime.parse(trimmed, DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                  .toInstant()
                  .toEpochMilli();
    } catch (final DateTimeException | NumberFormatException | ArithmeticException e) {
      millis = -1;
    }
    if (millis < 0) {
      throw new InvalidInputException(
          "--effective-from "
              + Texts.quote(text)
              + ": not an RFC 3339 date-time (e.g. 2026-11-28T14:00:00Z) or epoch milliseconds"
              + " since 1970");
    }
    return millis;
  }

  /**
   * One line: what was published where, p as the processor reads it (renormalised) and H(p), and
   * for labels how many were counted and ignored.
   */
  private static String summary(
      final ModelmonConfig config,
      final ReferenceRecord record,
      final Reference reference,
      final ReferenceInputs.LabelCounts labels) {
    final StringJoiner classes = new StringJoiner(", ");
    final int shown = Math.min(reference.size(), CLASSES_SHOWN);
    for (int c = 0; c < shown; c++) {
      classes.add(
          reference.classes().get(c)
              + "="
              + new BigDecimal(reference.probability(c))
                  .round(SHOWN_DIGITS)
                  .stripTrailingZeros()
                  .toPlainString());
    }
    if (reference.size() > shown) {
      classes.add("and " + (reference.size() - shown) + " more");
    }
    final StringBuilder line =
        new StringBuilder()
            .append("Published reference ")
            .append(record.key())
            .append(" to ")
            .append(config.referencesTopic())
            .append(": ")
            .append(reference.size())
            .append(" classes (")
            .append(classes)
            .append("), H(p) = ")
            .append(String.format(Locale.ROOT, "%.6f", reference.entropy()))
            .append(" nats");
    if (labels != null) {
      line.append("; from ").append(labels.labels()).append(" labels");
      if (labels.ignored() > 0) {
        line.append(", ")
            .append(labels.ignored())
            .append(" events of other models or without a label ignored");
      }
    }
    return line.toString();
  }
}
