package org.modelmon.event;

import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;
import org.modelmon.json.Names;

/**
 * The {@code label} of an event as read, before it is resolved to one of a prediction's classes: a
 * string, an integer or a boolean (docs/reference.md#prediction-events).
 *
 * <p>A prediction event resolves its label against its own classes at once; a label event carries
 * its label until it joins its prediction, and {@link #indexIn} resolves it then by the same rule.
 * {@link PredictionParser} applies that rule to the label it scanned without building an instance,
 * through the static methods here, since it runs once per event.
 *
 * <p>Instances are immutable; two labels are equal when they are the same JSON value (the integers
 * {@code 2}, {@code 2.0} and {@code 2e0} are equal).
 */
public final class LabelValue {

  /** The JSON type of a label. */
  public enum Kind {
    /** A string: a class name. */
    NAME,
    /** An integral number: an index, or in the object form the class named by its decimal form. */
    INTEGER,
    /** A boolean: only in the score form, {@code true} = {@code "1"}. */
    BOOLEAN
  }

  /** The label {@code true}. */
  public static final LabelValue TRUE = new LabelValue(Kind.BOOLEAN, null, 1L, null);

  /** The label {@code false}. */
  public static final LabelValue FALSE = new LabelValue(Kind.BOOLEAN, null, 0L, null);

  /** Integers with more digits than a class name has characters cannot name a class. */
  private static final int MAX_NAMING_DIGITS = Names.MAX_CLASS_NAME_LENGTH;

  /** Every integer of at most this many digits fits a long. */
  private static final int LONG_DIGITS = 18;

  private final Kind kind;

  /** The class name, for {@link Kind#NAME}. */
  private final String name;

  /** The integer when it fits a long ({@link #big} null), or 1/0 for {@link Kind#BOOLEAN}. */
  private final long small;

  /** An integer beyond a long: integral, trailing zeros stripped, so never inflated to digits. */
  private final BigDecimal big;

  private LabelValue(final Kind kind, final String name, final long small, final BigDecimal big) {
    this.kind = kind;
    this.name = name;
    this.small = small;
    this.big = big;
  }

  /** The string label {@code name}. */
  public static LabelValue ofName(final String name) {
    return new LabelValue(Kind.NAME, Objects.requireNonNull(name, "name"), 0L, null);
  }

  /** The integer label {@code value}. */
  public static LabelValue ofInteger(final long value) {
    return new LabelValue(Kind.INTEGER, null, value, null);
  }

  /**
   * The integer label {@code value}, of any size ({@code 1e999999999} is kept as it is written).
   *
   * @throws IllegalArgumentException when {@code value} is not integral
   */
  public static LabelValue ofInteger(final BigDecimal value) {
    if (value.signum() == 0) {
      return ofInteger(0L);
    }
    final BigDecimal stripped = value.stripTrailingZeros();
    if (stripped.scale() > 0) {
      throw new IllegalArgumentException("not an integer: " + value);
    }
    if (integerDigits(stripped) <= LONG_DIGITS + 1) {
      try {
        return ofInteger(stripped.longValueExact());
      } catch (ArithmeticException beyondLong) {
        // 19 digits, above Long.MAX_VALUE or below Long.MIN_VALUE: kept as a BigDecimal.
      }
    }
    return new LabelValue(Kind.INTEGER, null, 0L, stripped);
  }

  /** The boolean label {@code value}. */
  public static LabelValue ofBoolean(final boolean value) {
    return value ? TRUE : FALSE;
  }

  /** The label's JSON type. */
  public Kind kind() {
    return kind;
  }

  /**
   * The class name of a {@link Kind#NAME} label.
   *
   * @throws IllegalStateException for another kind
   */
  public String name() {
    require(Kind.NAME);
    return name;
  }

  /**
   * The exact value of an {@link Kind#INTEGER} label, trailing zeros stripped ({@code 20} is {@code
   * 2E+1}).
   *
   * @throws IllegalStateException for another kind
   */
  public BigDecimal integerValue() {
    require(Kind.INTEGER);
    return big != null ? big : BigDecimal.valueOf(small).stripTrailingZeros();
  }

  /**
   * The value of a {@link Kind#BOOLEAN} label.
   *
   * @throws IllegalStateException for another kind
   */
  public boolean booleanValue() {
    require(Kind.BOOLEAN);
    return small != 0L;
  }

  /**
   * The index of this label in the classes of a prediction of the given form, or -1 when it is none
   * of them (docs/reference.md#prediction-events): a string names a class; an integer is an index
   * in the array and score forms and, in the object form, names the class whose name is its decimal
   * form; a boolean is {@code "1"} or {@code "0"} in the score form and nothing in the others.
   *
   * @param classes the prediction's classes; {@code "0"}, {@code "1"} in the score form
   * @param form the prediction's form
   */
  public int indexIn(final List<String> classes, final PredictionForm form) {
    return switch (kind) {
      case NAME -> nameIndex(classes, name);
      case INTEGER ->
          big == null ? integerIndex(classes, form, small) : integerIndex(classes, form, big);
      case BOOLEAN -> booleanIndex(form, small != 0L);
    };
  }

  /**
   * The class this label names on its own, without a prediction's classes, as a file of bare labels
   * is read: a string its name, an integer its decimal form, {@code true}/{@code false} {@code
   * "1"}/{@code "0"}; {@code null} when that is no class name (empty, too long, or a control
   * character).
   */
  public String className() {
    final String className =
        switch (kind) {
          case NAME -> name;
          case INTEGER ->
              big == null
                  ? Long.toString(small)
                  : integerDigits(big) > MAX_NAMING_DIGITS ? null : big.toPlainString();
          case BOOLEAN -> small != 0L ? "1" : "0";
        };
    return className != null && Names.isClassName(className) ? className : null;
  }

  /** The rule of {@link #indexIn} for a string label. */
  static int nameIndex(final List<String> classes, final String name) {
    return classes.indexOf(name);
  }

  /** The rule of {@link #indexIn} for an integer label that fits a long. */
  static int integerIndex(final List<String> classes, final PredictionForm form, final long value) {
    if (form == PredictionForm.OBJECT) {
      // The class whose name is the decimal form: -0 and 2.0, read as 0 and 2, name "0" and "2".
      return classes.indexOf(Long.toString(value));
    }
    return value >= 0 && value < classes.size() ? (int) value : -1;
  }

  /**
   * The rule of {@link #indexIn} for an integer label beyond a long, which is no index.
   *
   * @param value integral, scale ≤ 0
   */
  static int integerIndex(
      final List<String> classes, final PredictionForm form, final BigDecimal value) {
    // The digit count is checked first: the decimal form of 1e999999999 would have a billion.
    if (form != PredictionForm.OBJECT || integerDigits(value) > MAX_NAMING_DIGITS) {
      return -1;
    }
    return classes.indexOf(value.toPlainString());
  }

  /** The rule of {@link #indexIn} for a boolean label. */
  static int booleanIndex(final PredictionForm form, final boolean value) {
    if (form != PredictionForm.SCORE) {
      return -1;
    }
    return value ? 1 : 0;
  }

  /** Digits before the point of an integral BigDecimal of scale ≤ 0; never inflates it. */
  static int integerDigits(final BigDecimal integral) {
    return integral.signum() == 0 ? 1 : integral.precision() - integral.scale();
  }

  private void require(final Kind expected) {
    if (kind != expected) {
      throw new IllegalStateException("a " + kind + " label, not a " + expected + " label");
    }
  }

  @Override
  public boolean equals(final Object other) {
    return other instanceof LabelValue that
        && kind == that.kind
        && small == that.small
        && Objects.equals(name, that.name)
        && Objects.equals(big, that.big);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, name, small, big);
  }

  /**
   * The label as written in JSON, for messages: {@code "leave"} (quoted, not escaped), {@code 3},
   * {@code 1E+999999999} or {@code true}.
   */
  @Override
  public String toString() {
    return switch (kind) {
      case NAME -> '"' + name + '"';
      case INTEGER -> big == null ? Long.toString(small) : big.toString();
      case BOOLEAN -> Boolean.toString(small != 0L);
    };
  }
}
