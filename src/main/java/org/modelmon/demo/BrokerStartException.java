package org.modelmon.demo;

import java.util.Objects;

/** Thrown when {@link EmbeddedKafkaBroker} cannot bring its child broker up. */
public final class BrokerStartException extends RuntimeException {

  /** What went wrong while starting the broker. */
  public enum Reason {
    /** A port asked for explicitly is already bound on 127.0.0.1. */
    PORT_IN_USE,
    /** The storage format tool exited with an error or did not finish in time. */
    FORMAT_FAILED,
    /** The broker JVM exited before it answered a metadata request. */
    PROCESS_EXITED,
    /** The broker JVM was still running but did not answer in time. */
    TIMEOUT,
    /** Writing the broker's files or launching a JVM failed. */
    IO_ERROR
  }

  private final Reason reason;

  public BrokerStartException(final Reason reason, final String detail) {
    this(reason, detail, null);
  }

  public BrokerStartException(final Reason reason, final String detail, final Throwable cause) {
    super(reason + ": " + detail, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** Why the broker did not start. */
  public Reason reason() {
    return reason;
  }
}
