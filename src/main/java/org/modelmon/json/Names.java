package org.modelmon.json;

/**
 * The character rules for the names that become metric labels and keys
 * (docs/reference.md#prediction-events): model, version and class names, shared by prediction
 * events and references.
 */
public final class Names {

  /** Longest model name. */
  public static final int MAX_MODEL_LENGTH = 128;

  /** Longest version. */
  public static final int MAX_VERSION_LENGTH = 64;

  /** Longest class name, in code points. */
  public static final int MAX_CLASS_NAME_LENGTH = 128;

  /** Longest event id, in code points. */
  public static final int MAX_ID_LENGTH = 128;

  private Names() {}

  /** Whether {@code model} is 1–128 characters of {@code [A-Za-z0-9_.:/-]}. */
  public static boolean isModel(final String model) {
    return isIdentifier(model, 1, MAX_MODEL_LENGTH);
  }

  /** Whether {@code version} is 0–64 characters of {@code [A-Za-z0-9_.:/-]}. */
  public static boolean isVersion(final String version) {
    return isIdentifier(version, 0, MAX_VERSION_LENGTH);
  }

  /**
   * Whether {@code name} is a class name: 1–128 code points, no control character (Unicode category
   * Cc) and no unpaired surrogate.
   *
   * <p>docs/reference.md#prediction-events names only control characters; unpaired surrogates
   * (possible through JSON {@code \ud800} escapes) are refused too because class names are written
   * back out as UTF-8 metric labels and JSON keys, where an unpaired surrogate cannot be encoded
   * and would turn into {@code ?}, merging distinct classes.
   */
  public static boolean isClassName(final String name) {
    return isText(name, MAX_CLASS_NAME_LENGTH);
  }

  /**
   * Whether {@code id} is an event id: 1–128 code points, no control character and no unpaired
   * surrogate, as a class name (it is written back out as the join key of a later label).
   */
  public static boolean isId(final String id) {
    return isText(id, MAX_ID_LENGTH);
  }

  private static boolean isText(final String name, final int maxCodePoints) {
    final int length = name.length();
    if (length == 0) {
      return false;
    }
    int codePoints = 0;
    for (int i = 0; i < length; i++) {
      final char c = name.charAt(i);
      if (Character.isISOControl(c)) {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 == length || !Character.isLowSurrogate(name.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
      codePoints++;
    }
    return codePoints <= maxCodePoints;
  }

  private static boolean isIdentifier(final String s, final int minLength, final int maxLength) {
    final int length = s.length();
    if (length < minLength || length > maxLength) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      final char c = s.charAt(i);
      final boolean allowed =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '.'
              || c == ':'
              || c == '/'
              || c == '-';
      if (!allowed) {
        return false;
      }
    }
    return true;
  }
}
