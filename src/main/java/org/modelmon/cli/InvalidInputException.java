package org.modelmon.cli;

/**
 * Thrown when a command's own input — an argument, a file it reads — cannot be used; the message is
 * one line that says which input and why, printed as {@code modelmon: <message>} with exit status
 * 2, like a bad configuration.
 */
final class InvalidInputException extends RuntimeException {

  /**
   * @param message what is wrong; line breaks are replaced by spaces to keep it one line
   */
  InvalidInputException(final String message) {
    super(message.replaceAll("\\R", " "));
  }
}
