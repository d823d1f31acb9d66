package org.modelmon.config;

import java.util.Locale;

/** Makes any configured text safe to show inside a one-line message or log line. */
public final class Texts {

  private Texts() {}

  /**
   * {@code text} in double quotes, with quotes, backslashes and control characters escaped, so that
   * any value fits in a one-line message.
   */
  public static String quote(final String text) {
    return "\"" + escape(text).replace("\"", "\\\"") + "\"";
  }

  /** {@code text} with backslashes and control characters escaped (a line break as {@code \n}). */
  public static String escape(final String text) {
    final StringBuilder out = new StringBuilder(text.length() + 2);
    for (int i = 0; i < text.length(); i++) {
      final char c = text.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }
}
