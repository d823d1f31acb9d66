package org.modelmon.reference;

/**
 * Thrown when a references-topic record breaks a rule of docs/reference.md#references; the message
 * says which.
 *
 * <p>An invalid reference is logged, counted and ignored, so, like invalid events, it is expected
 * input rather than a programming error and carries no stack trace.
 */
public final class InvalidReferenceException extends RuntimeException {

  /** An exception whose message says why the reference was refused. */
  public InvalidReferenceException(final String message) {
    super(message, null, false, false);
  }
}
