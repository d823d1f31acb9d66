package org.modelmon.config;

/**
 * Thrown when the configuration cannot be used: a bad value, an unknown key, an unreadable
 * configuration file.
 *
 * <p>The message is one line that names the key (or the file or variable) and says what is
 * expected, so that a command line can print it as is and stop (docs/reference.md#configuration).
 */
public final class ConfigException extends RuntimeException {

  /**
   * @param message what is wrong; line breaks are replaced by spaces to keep it one line
   */
  public ConfigException(final String message) {
    super(oneLine(message));
  }

  /**
   * @param message what is wrong; line breaks are replaced by spaces to keep it one line
   * @param cause the underlying failure, e.g. the {@link java.io.IOException} of reading a file
   */
  public ConfigException(final String message, final Throwable cause) {
    super(oneLine(message), cause);
  }

  private static String oneLine(final String message) {
    return message == null ? null : message.replaceAll("\\R", " ");
  }
}
