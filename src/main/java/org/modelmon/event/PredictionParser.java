package org.modelmon.event;

import static org.modelmon.event.InvalidReason.CLASS_MISMATCH;
import static org.modelmon.event.InvalidReason.DUPLICATE_CLASS;
import static org.modelmon.event.InvalidReason.INVALID_FIELD;
import static org.modelmon.event.InvalidReason.INVALID_PROBABILITY;
import static org.modelmon.event.InvalidReason.MISSING_FIELD;
import static org.modelmon.event.InvalidReason.PROBABILITY_SUM;
import static org.modelmon.event.InvalidReason.TOO_MANY_CLASSES;
import static org.modelmon.event.InvalidReason.UNKNOWN_LABEL;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.modelmon.json.Names;
import org.modelmon.json.StrictJson;
import org.modelmon.math.CompensatedSum;
import org.modelmon.reference.Reference;
import org.modelmon.reference.ReferenceLookup;

/**
 * Turns the value of a prediction record into a validated {@link PredictionEvent}, or rejects it
 * with the reason of the first rule of docs/reference.md#dead-letters-and-reason-codes that fails.
 *
 * <p>This is the per-event hot path, so it reads the bytes with Jackson's streaming parser (no tree
 * model) in two steps: a strict scan that only records what each known field held, then the rules
 * in the order of docs/reference.md#dead-letters-and-reason-codes. The scan always reads the whole
 * value, because a JSON error anywhere ({@link InvalidReason#MALFORMED_JSON}) outranks every field
 * rule. {@link InvalidReason#TOO_MANY_MODELS} is not checked here: it needs the application's model
 * registry and comes last. The fields label events have too ({@code model}, {@code id}, {@code
 * timestamp}, {@code label}) are read and checked by the code {@link LabelParser} uses ({@code
 * EventScan}), and the label is resolved by the rule of {@link LabelValue#indexIn}, as a label that
 * arrives later is.
 *
 * <p>Where the rules of docs/reference.md#prediction-events leave a point open, this parser
 * decides:
 *
 * <ul>
 *   <li>{@code probabilities} and {@code score} together, {@code classes} with the object form, and
 *       {@code classes} with {@code score} are {@link InvalidReason#INVALID_FIELD}: each pair says
 *       the classes twice, and guessing which one the producer meant would hide its bug.
 *   <li>A number is an integer (for {@code label} and {@code timestamp}) when its value is
 *       integral, as JSON Schema's {@code integer}: {@code 2.0} and {@code 2e0} are the integer 2.
 *   <li>An empty {@code probabilities} sums to 0 and so fails {@link
 *       InvalidReason#PROBABILITY_SUM}, which comes before the class count in the order of
 *       docs/reference.md#dead-letters-and-reason-codes.
 *   <li>The event time must be ≥ 0 and at most the future skew ahead of {@code nowMillis} whether
 *       it comes from {@code timestamp} or from the record, since either would move windows.
 *   <li>RFC 3339 date-times may use a lower-case {@code t} and {@code z} (RFC 3339 section 5.6); a
 *       leap second ({@code :60}) is refused as java.time refuses it.
 *   <li>{@code -0.0} is read as {@code 0.0}; class names may not hold unpaired surrogates ({@link
 *       Names#isClassName}).
 * </ul>
 *
 * <p>Instances are immutable and safe to share between stream threads.
 */
public final class PredictionParser {

  /** Default class names {@code "0"…"1023"}, built once so array-form events allocate none. */
  private static final int CACHED_DEFAULT_NAMES = 1024;

  private static final List<String> DEFAULT_NAMES = buildDefaultNames(CACHED_DEFAULT_NAMES);

  /** {@code DEFAULT_NAME_PREFIXES[n]} is the first n default names: no per-event subList. */
  private static final List<?>[] DEFAULT_NAME_PREFIXES = buildPrefixes();

  /** The classes of the {@code score} form. */
  private static final List<String> BINARY_CLASSES = defaultNames(2);

  private static final int INITIAL_CAPACITY = 8;

  /** Up to this many class names are checked for duplicates pair by pair, beyond in a set. */
  private static final int PAIRWISE_NAMES = 16;

  private final ParserLimits limits;

  /** A parser that validates against {@code limits}. */
  public PredictionParser(final ParserLimits limits) {
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /** The limits this parser validates against. */
  public ParserLimits limits() {
    return limits;
  }

  /**
   * Parses and validates one prediction record value.
   *
   * @param value the record value, UTF-8 JSON; {@code null} or empty is malformed
   * @param recordTimestampMillis the record's timestamp, the event time when the value has no
   *     {@code timestamp}
   * @param nowMillis the wall clock, for the future-skew rule
   * @param references where the model's reference in force at the event time is looked up, for the
   *     {@link InvalidReason#CLASS_MISMATCH} rule; called once, only when every earlier rule passed
   * @return the valid event, its probabilities divided by their sum
   * @throws InvalidEventException with the reason of the first rule that fails; its message names
   *     the field but never repeats the value
   */
  public PredictionEvent parse(
      final byte[] value,
      final long recordTimestampMillis,
      final long nowMillis,
      final ReferenceLookup references) {
    final Raw raw = scan(value);
    return validate(raw, recordTimestampMillis, nowMillis, references);
  }

  // ---------------------------------------------------------------------------------------------
  // Step 1: strict scan. Records what each known field held; throws only MALFORMED_JSON. The
  // fields label events have too are read by EventScan.

  private static Raw scan(final byte[] value) {
    final Raw raw = new Raw();
    try (JsonParser parser = EventScan.open(value)) {
      String field;
      while ((field = parser.nextFieldName()) != null) {
        final int known = Raw.knownField(field);
        raw.firstOccurrence(known, field, parser);
        final JsonToken token = parser.nextToken();
        switch (known) {
          case Raw.VERSION -> raw.version = raw.readString(parser, token, "version");
          case Raw.PROBABILITIES -> readProbabilities(parser, token, raw);
          case Raw.SCORE -> readScore(parser, token, raw);
          case Raw.CLASSES -> readClasses(parser, token, raw);
          default -> raw.readSharedField(known, token, parser);
        }
      }
      EventScan.end(parser);
    } catch (IOException e) {
      throw EventScan.malformed(e);
    }
    return raw;
  }

  private static void readProbabilities(
      final JsonParser parser, final JsonToken token, final Raw raw) throws IOException {
    switch (token) {
      case VALUE_NULL -> {}
      case START_OBJECT -> {
        raw.form = Form.OBJECT;
        raw.names = new String[INITIAL_CAPACITY];
        raw.values = new double[INITIAL_CAPACITY];
        String name;
        while ((name = parser.nextFieldName()) != null) {
          final int index = raw.count;
          if (!Names.isClassName(name)) {
            raw.invalidField(
                "probabilities: the class name of entry "
                    + index
                    + " is empty, longer than "
                    + Names.MAX_CLASS_NAME_LENGTH
                    + " characters or has a control character");
          }
          raw.addEntry(name, readProbability(parser, parser.nextToken(), raw, index));
        }
        final String duplicate = raw.duplicateName();
        if (duplicate != null) {
          throw StrictJson.duplicateKey(parser, duplicate);
        }
      }
      case START_ARRAY -> {
        raw.form = Form.ARRAY;
        raw.values = new double[INITIAL_CAPACITY];
        JsonToken element;
        while ((element = parser.nextToken()) != JsonToken.END_ARRAY) {
          raw.addValue(readProbability(parser, element, raw, raw.count));
        }
      }
      default -> {
        raw.form = Form.WRONG_TYPE;
        raw.invalidField("probabilities is neither an object nor an array");
        StrictJson.skipChildren(parser);
      }
    }
  }

  /** One probability; a wrong type or a value outside [0, 1] is recorded, not thrown. */
  private static double readProbability(
      final JsonParser parser, final JsonToken token, final Raw raw, final int index)
      throws IOException {
    if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
      final double p = parser.getDoubleValue();
      if (!isProbability(p)) {
        raw.invalidProbability(
            "probabilities entry " + index + " is not a finite number in [0, 1]");
      }
      // -0.0 == 0.0, so this turns -0.0 into 0.0 and leaves every other value alone.
      return p == 0.0 ? 0.0 : p;
    }
    raw.invalidField("probabilities entry " + index + " is not a number");
    StrictJson.skipChildren(parser);
    return Double.NaN;
  }

  private static void readScore(final JsonParser parser, final JsonToken token, final Raw raw)
      throws IOException {
    if (token == JsonToken.VALUE_NULL) {
      return;
    }
    raw.scorePresent = true;
    if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
      final double score = parser.getDoubleValue();
      if (!isProbability(score)) {
        raw.invalidProbability("score is not a finite number in [0, 1]");
      }
      raw.score = score == 0.0 ? 0.0 : score;
    } else {
      raw.invalidField("score is not a number");
      StrictJson.skipChildren(parser);
    }
  }

  private static void readClasses(final JsonParser parser, final JsonToken token, final Raw raw)
      throws IOException {
    if (token == JsonToken.VALUE_NULL) {
      return;
    }
    raw.classesPresent = true;
    if (token != JsonToken.START_ARRAY) {
      raw.invalidField("classes is not an array");
      StrictJson.skipChildren(parser);
      return;
    }
    raw.classNames = new String[INITIAL_CAPACITY];
    JsonToken element;
    while ((element = parser.nextToken()) != JsonToken.END_ARRAY) {
      final int index = raw.classCount;
      String name = null;
      if (element == JsonToken.VALUE_STRING) {
        name = parser.getText();
        if (!Names.isClassName(name)) {
          raw.invalidField(
              "classes entry "
                  + index
                  + " is empty, longer than "
                  + Names.MAX_CLASS_NAME_LENGTH
                  + " characters or has a control character");
        }
      } else {
        raw.invalidField("classes entry " + index + " is not a string");
        StrictJson.skipChildren(parser);
      }
      raw.addClassName(name);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Step 2: the rules, in the order of docs/reference.md#dead-letters-and-reason-codes.

  private PredictionEvent validate(
      final Raw raw,
      final long recordTimestampMillis,
      final long nowMillis,
      final ReferenceLookup references) {
    // MISSING_FIELD
    if (!raw.modelPresent) {
      throw new InvalidEventException(MISSING_FIELD, "no model");
    }
    if (raw.form == Form.ABSENT && !raw.scorePresent) {
      throw new InvalidEventException(MISSING_FIELD, "neither probabilities nor score");
    }

    // INVALID_FIELD
    raw.checkTypes();
    raw.checkModel();
    final String version = raw.version == null ? "" : raw.version;
    if (!Names.isVersion(version)) {
      throw new InvalidEventException(
          INVALID_FIELD,
          "version must be 0-" + Names.MAX_VERSION_LENGTH + " characters of [A-Za-z0-9_.:/-]");
    }
    raw.checkId();
    final boolean scoreForm = raw.scorePresent;
    if (scoreForm && raw.form != Form.ABSENT) {
      throw new InvalidEventException(INVALID_FIELD, "both probabilities and score");
    }
    if (raw.classesPresent) {
      if (scoreForm) {
        throw new InvalidEventException(INVALID_FIELD, "classes with score");
      }
      if (raw.form == Form.OBJECT) {
        throw new InvalidEventException(
            INVALID_FIELD, "classes with probabilities as an object, which names them already");
      }
      if (raw.classCount != raw.count) {
        throw new InvalidEventException(
            INVALID_FIELD,
            "classes has " + raw.classCount + " names for " + raw.count + " probabilities");
      }
    }
    if (raw.labelKind == EventScan.LabelKind.BOOLEAN && !scoreForm) {
      throw new InvalidEventException(
          INVALID_FIELD, "label is a boolean, which only the score form allows");
    }

    // INVALID_PROBABILITY
    if (raw.invalidProbability != null) {
      throw new InvalidEventException(INVALID_PROBABILITY, raw.invalidProbability);
    }

    // PROBABILITY_SUM
    final double[] q =
        scoreForm ? new double[] {1.0 - raw.score, raw.score} : trim(raw.values, raw.count);
    final CompensatedSum sum = new CompensatedSum();
    for (final double p : q) {
      sum.add(p);
    }
    final double total = sum.value();
    if (!(Math.abs(total - 1.0) <= limits.probabilityTolerance())) {
      throw new InvalidEventException(
          PROBABILITY_SUM,
          "probabilities sum to "
              + total
              + ", more than "
              + limits.probabilityTolerance()
              + " away from 1");
    }

    // DUPLICATE_CLASS
    if (raw.classesPresent) {
      final int duplicate = firstDuplicate(raw.classNames, raw.classCount);
      if (duplicate >= 0) {
        throw new InvalidEventException(
            DUPLICATE_CLASS, "classes entry " + duplicate + " repeats an earlier name");
      }
    }

    // TOO_MANY_CLASSES
    final int n = q.length;
    if (n < 2) {
      throw new InvalidEventException(TOO_MANY_CLASSES, n + " classes, fewer than 2");
    }
    if (n > limits.maxClasses()) {
      throw new InvalidEventException(
          TOO_MANY_CLASSES, n + " classes, more than " + limits.maxClasses());
    }

    if (total != 1.0) {
      for (int c = 0; c < n; c++) {
        q[c] /= total;
      }
    }
    final PredictionForm form;
    final List<String> classes;
    if (scoreForm) {
      form = PredictionForm.SCORE;
      classes = BINARY_CLASSES;
    } else if (raw.form == Form.OBJECT) {
      form = PredictionForm.OBJECT;
      classes = wrap(raw.names, n);
    } else {
      form = PredictionForm.ARRAY;
      classes = raw.classesPresent ? wrap(raw.classNames, n) : defaultNames(n);
    }

    // UNKNOWN_LABEL; without a label the event counts on the prediction side only.
    final boolean labelled = raw.labelKind != EventScan.LabelKind.ABSENT;
    final int labelIndex = labelled ? raw.labelIndexIn(classes, form) : PredictionEvent.UNLABELLED;
    if (labelled && labelIndex < 0) {
      throw new InvalidEventException(UNKNOWN_LABEL, "label is not one of the event's classes");
    }

    // The event time is read before CLASS_MISMATCH, whose reference is the one in force at it,
    // but an unreadable one is reported after, in the rules' order. Such an event is refused
    // either way; its reference is looked up at the record timestamp only to pick the reason.
    long eventTime;
    InvalidEventException timestampProblem = null;
    try {
      eventTime = raw.timeOr(recordTimestampMillis);
    } catch (InvalidEventException e) {
      timestampProblem = e;
      eventTime = recordTimestampMillis;
    }

    // CLASS_MISMATCH
    final Reference reference = references.find(raw.model, version, eventTime);
    final int[] referenceIndexes = reference == null ? null : referenceIndexes(reference, classes);
    if (reference != null) {
      checkCoversReference(reference, classes, referenceIndexes);
    }

    // INVALID_TIMESTAMP
    if (timestampProblem != null) {
      throw timestampProblem;
    }
    EventScan.checkTime(eventTime, nowMillis, limits.maxFutureSkewMillis(), "event time");

    return new PredictionEvent(
        raw.model,
        version,
        raw.id,
        eventTime,
        form,
        classes,
        q,
        labelIndex,
        reference,
        referenceIndexes);
  }

  /**
   * For each of {@code classes}, its index in {@code reference}, or -1 where the reference lacks
   * it. Events usually list the reference's classes in its order; those cost no lookup.
   */
  private static int[] referenceIndexes(final Reference reference, final List<String> classes) {
    final List<String> referenceClasses = reference.classes();
    final int[] indexes = new int[classes.size()];
    for (int c = 0; c < indexes.length; c++) {
      final String name = classes.get(c);
      indexes[c] =
          c < referenceClasses.size() && referenceClasses.get(c).equals(name)
              ? c
              : reference.indexOf(name);
    }
    return indexes;
  }

  /** Fails unless every class the reference gives p(c) &gt; 0 is among {@code classes}. */
  private static void checkCoversReference(
      final Reference reference, final List<String> classes, final int[] referenceIndexes) {
    int support = 0;
    for (int k = 0; k < reference.size(); k++) {
      if (reference.probability(k) > 0.0) {
        support++;
      }
    }
    // Event classes are distinct by now, so counting the covered ones is enough.
    int covered = 0;
    for (final int k : referenceIndexes) {
      if (k >= 0 && reference.probability(k) > 0.0) {
        covered++;
      }
    }
    if (covered < support) {
      throw new InvalidEventException(
          CLASS_MISMATCH,
          (support - covered)
              + " of the "
              + support
              + " classes the reference gives a probability above 0 are missing, e.g. '"
              + firstMissing(reference, classes)
              + "'");
    }
  }

  private static String firstMissing(final Reference reference, final List<String> classes) {
    for (int k = 0; k < reference.size(); k++) {
      final String name = reference.classes().get(k);
      if (reference.probability(k) > 0.0 && !classes.contains(name)) {
        return name;
      }
    }
    throw new IllegalStateException("no missing class");
  }

  /** Index of the first name that repeats an earlier one, or -1. */
  private static int firstDuplicate(final String[] names, final int n) {
    if (n <= PAIRWISE_NAMES) {
      for (int i = 1; i < n; i++) {
        final String name = names[i];
        final int hash = name.hashCode();
        for (int j = 0; j < i; j++) {
          if (names[j].hashCode() == hash && names[j].equals(name)) {
            return i;
          }
        }
      }
      return -1;
    }
    final Set<String> seen = new HashSet<>(n * 2);
    for (int i = 0; i < n; i++) {
      if (!seen.add(names[i])) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isProbability(final double p) {
    return p >= 0.0 && p <= 1.0;
  }

  private static double[] trim(final double[] values, final int n) {
    return values.length == n ? values : Arrays.copyOf(values, n);
  }

  private static List<String> wrap(final String[] names, final int n) {
    return Collections.unmodifiableList(
        Arrays.asList(names.length == n ? names : Arrays.copyOf(names, n)));
  }

  @SuppressWarnings("unchecked")
  private static List<String> defaultNames(final int n) {
    if (n <= CACHED_DEFAULT_NAMES) {
      return (List<String>) DEFAULT_NAME_PREFIXES[n];
    }
    final String[] names = new String[n];
    for (int i = 0; i < n; i++) {
      names[i] = i < CACHED_DEFAULT_NAMES ? DEFAULT_NAMES.get(i) : Integer.toString(i);
    }
    return wrap(names, n);
  }

  private static List<String> buildDefaultNames(final int n) {
    final String[] names = new String[n];
    for (int i = 0; i < n; i++) {
      names[i] = Integer.toString(i);
    }
    return List.of(names);
  }

  private static List<?>[] buildPrefixes() {
    final List<?>[] prefixes = new List<?>[CACHED_DEFAULT_NAMES + 1];
    for (int n = 0; n <= CACHED_DEFAULT_NAMES; n++) {
      prefixes[n] = DEFAULT_NAMES.subList(0, n);
    }
    return prefixes;
  }

  // ---------------------------------------------------------------------------------------------

  private enum Form {
    ABSENT,
    OBJECT,
    ARRAY,
    WRONG_TYPE
  }

  /** What the scan found, before any rule but MALFORMED_JSON is applied. One per call. */
  private static final class Raw extends EventScan {

    String version;

    Form form = Form.ABSENT;
    int count;
    double[] values;
    String[] names;

    boolean scorePresent;
    double score;

    boolean classesPresent;
    int classCount;
    String[] classNames;

    /** The first INVALID_PROBABILITY finding, reported in rule order later. */
    String invalidProbability;

    static final int VERSION = FIRST_OWN_FIELD;
    static final int PROBABILITIES = FIRST_OWN_FIELD << 1;
    static final int SCORE = FIRST_OWN_FIELD << 2;
    static final int CLASSES = FIRST_OWN_FIELD << 3;

    /** The bit of a top-level key. */
    static int knownField(final String field) {
      return switch (field) {
        case "model" -> MODEL;
        case "version" -> VERSION;
        case "id" -> ID;
        case "timestamp" -> TIMESTAMP;
        case "probabilities" -> PROBABILITIES;
        case "score" -> SCORE;
        case "classes" -> CLASSES;
        case "label" -> LABEL;
        default -> OTHER;
      };
    }

    /** A class name the object form of {@code probabilities} lists twice, or {@code null}. */
    String duplicateName() {
      final int duplicate = firstDuplicate(names, count);
      return duplicate < 0 ? null : names[duplicate];
    }

    void invalidProbability(final String detail) {
      if (invalidProbability == null) {
        invalidProbability = detail;
      }
    }

    void addValue(final double p) {
      if (count == values.length) {
        values = Arrays.copyOf(values, count * 2);
      }
      values[count++] = p;
    }

    void addEntry(final String name, final double p) {
      if (count == names.length) {
        names = Arrays.copyOf(names, count * 2);
      }
      names[count] = name;
      addValue(p);
    }

    void addClassName(final String name) {
      if (classCount == classNames.length) {
        classNames = Arrays.copyOf(classNames, classCount * 2);
      }
      classNames[classCount++] = name;
    }
  }
}
