"""Emits logs to an OTLP/HTTP endpoint with the OpenTelemetry Python SDK (a real client for
Vigil's `/v1/logs`), through the SDK's BatchLogRecordProcessor.

Usage:
  emit_logs.py --endpoint URL --token TOKEN --encoding proto|json --run RUN_ID [--gzip]
  emit_logs.py ... --bench N     (N records as fast as the exporter takes them; prints events/s)

Normal mode emits, inside one span (so the records carry its trace and span ids):
  * a WARN record through the stdlib `logging` bridge with attributes,
  * a record with a kvlist body through the Logs API,
  * a record whose body is a syslog line (Vigil parses it),
and prints one JSON line: {"trace_id": "...", "span_id": "..."}.
Exits non-zero when an export failed.
"""

import argparse
import json
import logging
import sys
import time

from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider


class Counting(LogRecordExporter):
    """Wraps an exporter and remembers whether any export failed."""

    def __init__(self, inner):
        self.inner = inner
        self.failures = 0
        self.exported = 0

    def export(self, batch):
        result = self.inner.export(batch)
        if result == LogRecordExportResult.SUCCESS:
            self.exported += len(batch)
        else:
            self.failures += 1
        return result

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        return True


def exporter(args):
    endpoint = args.endpoint.rstrip("/") + "/v1/logs"
    headers = {"Authorization": "Bearer " + args.token}
    if args.encoding == "proto":
        from opentelemetry.exporter.otlp.proto.http import Compression
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    else:
        from opentelemetry.exporter.otlp.common.http import Compression
        from opentelemetry.exporter.otlp.json.http._log_exporter import OTLPLogExporter
    if args.encoding == "proto":
        compression = Compression.Gzip if args.gzip else Compression.NoCompression
    else:
        compression = Compression.GZIP if args.gzip else Compression.NONE
    return OTLPLogExporter(
        endpoint=endpoint, headers=headers, timeout=30, compression=compression
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--encoding", choices=["proto", "json"], required=True)
    parser.add_argument("--run", required=True)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--bench", type=int, default=0)
    args = parser.parse_args()

    resource = Resource.create(
        {
            "service.name": "otlp-e2e-" + args.encoding,
            "service.version": "1.2.3",
            "host.name": "otlp-host-" + args.encoding,
            "deployment.environment.name": "e2e",
        }
    )
    counting = Counting(exporter(args))
    provider = LoggerProvider(resource=resource)
    provider.add_log_record_processor(
        BatchLogRecordProcessor(
            counting,
            schedule_delay_millis=200,
            max_export_batch_size=512,
            max_queue_size=1 << 20,
        )
    )
    otel_logger = provider.get_logger("vigil.e2e.api", "0.1")

    if args.bench:
        started = time.perf_counter()
        for i in range(args.bench):
            otel_logger.emit(
                LogRecord(
                    timestamp=time.time_ns(),
                    severity_number=SeverityNumber.INFO,
                    severity_text="INFO",
                    body="bench record %d run=%s" % (i, args.run),
                    attributes={"run.id": args.run, "seq": i, "user.name": "bench"},
                )
            )
        provider.force_flush(timeout_millis=600_000)
        elapsed = time.perf_counter() - started
        provider.shutdown()
        print(
            json.dumps(
                {
                    "records": args.bench,
                    "exported": counting.exported,
                    "failures": counting.failures,
                    "seconds": round(elapsed, 3),
                    "events_per_second": round(counting.exported / elapsed),
                }
            )
        )
        return 1 if counting.failures or counting.exported != args.bench else 0

    handler = LoggingHandler(level=logging.DEBUG, logger_provider=provider)
    std_logger = logging.getLogger("vigil.e2e.logging")
    std_logger.setLevel(logging.DEBUG)
    std_logger.addHandler(handler)
    std_logger.propagate = False

    tracer = TracerProvider(resource=resource).get_tracer("vigil.e2e")
    with tracer.start_as_current_span("checkout") as span:
        ctx = span.get_span_context()
        std_logger.warning(
            "payment declined for order 1234",
            extra={"user.name": "alice", "run.id": args.run, "order.total": 12.5},
        )
        otel_logger.emit(
            LogRecord(
                timestamp=time.time_ns(),
                severity_number=SeverityNumber.ERROR,
                severity_text="ERROR",
                body={"action": "card-check", "outcome": "failure", "run": args.run},
                attributes={"run.id": args.run, "source.ip": "192.0.2.10"},
                event_name="payment.check",
            )
        )
        otel_logger.emit(
            LogRecord(
                timestamp=time.time_ns(),
                severity_number=SeverityNumber.INFO,
                body="<38>Jan 11 10:00:00 fw1 sshd[42]: Failed password for root from 192.0.2.7 port 22 ssh2",
                attributes={"run.id": args.run},
            )
        )
    provider.force_flush(timeout_millis=60_000)
    provider.shutdown()
    print(
        json.dumps(
            {
                "trace_id": format(ctx.trace_id, "032x"),
                "span_id": format(ctx.span_id, "016x"),
                "exported": counting.exported,
                "failures": counting.failures,
            }
        )
    )
    return 1 if counting.failures or counting.exported != 3 else 0


if __name__ == "__main__":
    sys.exit(main())
