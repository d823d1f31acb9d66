package org.modelmon.reference;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A count of the writes to the references store, shared by the thread that writes the store and
 * the stream threads that read it: a reader keeps its resolved references for as long as the
 * count is unchanged, instead of reading the store on every event.
 */
public final class ReferenceGeneration {

  private final AtomicLong writes = new AtomicLong();

  /** Called after every write to the store. */
  public void advance() {
    writes.incrementAndGet();
  }

  /** The count now; a reader reads it before it reads the store. */
  public long current() {
    return writes.get();
  }
}
