package org.modelmon.event;

import static org.modelmon.event.InvalidReason.MISSING_FIELD;

import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;
import java.util.Objects;

/**
 * Turns the value of a label record into a validated {@link LabelEvent}, or rejects it with the
 * reason of the first rule that fails: {@link InvalidReason#MALFORMED_JSON}, {@link
 * InvalidReason#MISSING_FIELD} (no {@code model}, {@code id} or {@code label}), {@link
 * InvalidReason#INVALID_FIELD}, {@link InvalidReason#INVALID_TIMESTAMP}
 * (docs/reference.md#label-events).
 *
 * <p>Every field has the rules of the same field of a prediction event, checked by the same code as
 * in {@link PredictionParser}: strict JSON, {@code model} and {@code id} characters, a label that
 * is a string, an integer or a boolean, and a {@code timestamp} (here the outcome time) that is ≥ 0
 * and at most the future skew ahead of the wall clock, or else the record timestamp, held to the
 * same rule. Whether the label is one of the prediction's classes is known only at the join.
 *
 * <p>Instances are immutable and safe to share between stream threads.
 */
public final class LabelParser {

  private final ParserLimits limits;

  /** A parser that validates against {@code limits}; only the future skew applies to labels. */
  public LabelParser(final ParserLimits limits) {
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /** The limits this parser validates against. */
  public ParserLimits limits() {
    return limits;
  }

  /**
   * Parses and validates one label record value.
   *
   * @param value the record value, UTF-8 JSON; {@code null} or empty is malformed
   * @param recordTimestampMillis the record's timestamp, the outcome time when the value has no
   *     {@code timestamp}
   * @param nowMillis the wall clock, for the future-skew rule
   * @return the valid label event
   * @throws InvalidEventException with the reason of the first rule that fails; its message names
   *     the field but never repeats the value
   */
  public LabelEvent parse(
      final byte[] value, final long recordTimestampMillis, final long nowMillis) {
    final EventScan scan = scan(value);

    // MISSING_FIELD
    if (!scan.modelPresent) {
      throw new InvalidEventException(MISSING_FIELD, "no model");
    }
    if (!scan.idPresent) {
      throw new InvalidEventException(MISSING_FIELD, "no id");
    }
    if (scan.labelKind == EventScan.LabelKind.ABSENT) {
      throw new InvalidEventException(MISSING_FIELD, "no label");
    }

    // INVALID_FIELD
    scan.checkTypes();
    scan.checkModel();
    scan.checkId();

    // INVALID_TIMESTAMP
    final long outcomeTime = scan.timeOr(recordTimestampMillis);
    EventScan.checkTime(outcomeTime, nowMillis, limits.maxFutureSkewMillis(), "outcome time");

    return new LabelEvent(scan.model, scan.id, scan.labelValue(), outcomeTime);
  }

  /** The strict scan of a label value, whose fields prediction events all have too. */
  private static EventScan scan(final byte[] value) {
    final EventScan scan = new EventScan();
    try (JsonParser parser = EventScan.open(value)) {
      String field;
      while ((field = parser.nextFieldName()) != null) {
        final int known = knownField(field);
        scan.firstOccurrence(known, field, parser);
        scan.readSharedField(known, parser.nextToken(), parser);
      }
      EventScan.end(parser);
    } catch (IOException e) {
      throw EventScan.malformed(e);
    }
    return scan;
  }

  private static int knownField(final String field) {
    return switch (field) {
      case "model" -> EventScan.MODEL;
      case "id" -> EventScan.ID;
      case "timestamp" -> EventScan.TIMESTAMP;
      case "label" -> EventScan.LABEL;
      default -> EventScan.OTHER;
    };
  }
}
