package org.modelmon.ops;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression selects, found by a small lexer rather than by regular
 * expressions over the whole text: it skips string literals, comments, label matchers in braces,
 * ranges and subqueries in brackets, numbers and durations, the label lists of by, without, on,
 * ignoring, group_left and group_right, keywords, and every identifier that is called as a
 * function or aggregation. What is left are the selected metric names. (Parsing itself is left to
 * promtool.)
 */
final class PromQl {

  private static final Set<String> KEYWORDS =
      Set.of(
          "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and",
          "or", "unless", "atan2", "inf", "nan",
          // aggregation operators, which may be followed by a grouping before their parenthesis
          "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
          "bottomk", "topk", "quantile", "limitk", "limit_ratio");

  private static final Set<String> GROUPING_KEYWORDS =
      Set.of("by", "without", "on", "ignoring", "group_left", "group_right");

  private PromQl() {}

  /**
   * One vector selector of an expression: the metric name and the label matchers in its braces
   * as written (empty without braces).
   */
  record Selector(String metric, String matchers) {

    private static final Pattern MATCHER =
        Pattern.compile(
            "\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"((?:[^\"\\\\]|\\\\.)*)\"\\s*,?");

    /** Whether one of the matchers is exactly {@code label op "value"}. */
    boolean has(final String label, final String op, final String value) {
      final Matcher matcher = MATCHER.matcher(matchers);
      while (matcher.lookingAt()) {
        if (matcher.group(1).equals(label)
            && matcher.group(2).equals(op)
            && matcher.group(3).equals(value)) {
          return true;
        }
        matcher.region(matcher.end(), matchers.length());
      }
      return false;
    }
  }

  /** The metric names {@code expression} selects, in order of appearance. */
  static Set<String> metricNames(final String expression) {
    final Set<String> names = new LinkedHashSet<>();
    for (final Selector selector : selectors(expression)) {
      names.add(selector.metric());
    }
    return names;
  }

  /** The vector selectors of {@code expression} that name a metric, in order of appearance. */
  static List<Selector> selectors(final String expression) {
    final List<Selector> selectors = new ArrayList<>();
    final String text = expression;
    int i = 0;
    while (i < text.length()) {
      final char c = text.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '#') {
        i = endOfLine(text, i);
      } else if (c == '"' || c == '\'' || c == '`') {
        i = endOfString(text, i);
      } else if (c == '{') {
        i = closing(text, i, '{', '}');
      } else if (c == '[') {
        i = closing(text, i, '[', ']');
      } else if (Character.isDigit(c) || (c == '.' && i + 1 < text.length()
          && Character.isDigit(text.charAt(i + 1)))) {
        i = endOfNumber(text, i);
      } else if (isIdentifierStart(c)) {
        final int end = endOfIdentifier(text, i);
        final String word = text.substring(i, end);
        final String keyword = word.toLowerCase(Locale.ROOT);
        final int next = skipWhitespace(text, end);
        final boolean called = next < text.length() && text.charAt(next) == '(';
        if (GROUPING_KEYWORDS.contains(keyword) && called) {
          i = closing(text, next, '(', ')'); // a list of label names, not metrics
          continue;
        }
        if (!called && !KEYWORDS.contains(keyword)) {
          if (next < text.length() && text.charAt(next) == '{') {
            final int close = closing(text, next, '{', '}');
            selectors.add(new Selector(word, text.substring(next + 1, close - 1)));
            i = close;
            continue;
          }
          selectors.add(new Selector(word, ""));
        }
        i = end;
      } else {
        i++;
      }
    }
    return selectors;
  }

  private static boolean isIdentifierStart(final char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  }

  private static boolean isIdentifierPart(final char c) {
    return isIdentifierStart(c) || (c >= '0' && c <= '9');
  }

  private static int endOfIdentifier(final String text, final int start) {
    int i = start;
    while (i < text.length() && isIdentifierPart(text.charAt(i))) {
      i++;
    }
    return i;
  }

  /** Numbers (1, 0.5, 1e-3, 0x1f, Inf handled as keyword) and durations (5m, 1h30m). */
  private static int endOfNumber(final String text, final int start) {
    int i = start;
    while (i < text.length()) {
      final char c = text.charAt(i);
      if (Character.isLetterOrDigit(c) || c == '.' || c == '_') {
        i++;
      } else if ((c == '+' || c == '-') && (text.charAt(i - 1) == 'e' || text.charAt(i - 1) == 'E')
          && !text.substring(start, i).startsWith("0x")) {
        i++;
      } else {
        break;
      }
    }
    return i;
  }

  private static int endOfLine(final String text, final int start) {
    final int newline = text.indexOf('\n', start);
    return newline < 0 ? text.length() : newline + 1;
  }

  private static int endOfString(final String text, final int start) {
    final char quote = text.charAt(start);
    int i = start + 1;
    while (i < text.length()) {
      final char c = text.charAt(i);
      if (c == '\\' && quote != '`') {
        i += 2;
      } else if (c == quote) {
        return i + 1;
      } else {
        i++;
      }
    }
    throw new IllegalArgumentException("unterminated string in: " + text);
  }

  /** The index after the bracket closing the one at {@code start}, skipping strings inside. */
  private static int closing(
      final String text, final int start, final char open, final char close) {
    int depth = 0;
    int i = start;
    while (i < text.length()) {
      final char c = text.charAt(i);
      if (c == '"' || c == '\'' || c == '`') {
        i = endOfString(text, i);
        continue;
      }
      if (c == open) {
        depth++;
      } else if (c == close && --depth == 0) {
        return i + 1;
      }
      i++;
    }
    throw new IllegalArgumentException("unbalanced " + open + " in: " + text);
  }

  private static int skipWhitespace(final String text, final int start) {
    int i = start;
    while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
      i++;
    }
    return i;
  }
}
