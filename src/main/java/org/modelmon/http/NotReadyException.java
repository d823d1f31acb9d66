package org.modelmon.http;

/** The state stores cannot be queried right now (starting, rebalancing, restoring). */
public final class NotReadyException extends RuntimeException {

  public NotReadyException(final String message) {
    super(message, null, false, false);
  }
}
