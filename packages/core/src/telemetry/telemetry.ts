import { performance } from "node:perf_hooks";
import type { Attributes, Context, Counter, Histogram, MeterProvider, ObservableCallback, ObservableGauge, Span, Tracer, TracerProvider } from "@opentelemetry/api";
import { HookrunConfigError } from "../errors";
import { describeError } from "../logger";
import type { QueueDepth, Runner, RunnerJob } from "../runner/runner";
import type { Agent, AgentContext, Envelope, HookrunEvent, InboundRequest, InboundResponse } from "../types";
import { loadOtelApi, meterProviderRegistered, tracerProviderRegistered, type OtelApi } from "./load-otel-api";
import * as names from "./names";

/**
 * `createInboundWebhooks({ telemetry })`: `"auto"` records when `@opentelemetry/api` is installed
 * and an SDK registered a tracer or meter provider before hookrun was created; `true` records
 * whenever the API is installed (for an SDK registered later); `false` never.
 */
export type TelemetryOption = boolean | "auto";

/** One attempt's CONSUMER span and duration, as the runner's attempt drives it. @internal */
export interface AttemptTrace {
  /** Calls the agent with the attempt's span active, so spans the agent makes are its children. */
  call(agent: Agent, envelope: Envelope, ctx: AgentContext): unknown;
  /** Ends the attempt: `undefined` for a success, else what it failed with. */
  end(failure: unknown): void;
}

/** What the runners' attempts see of telemetry (`RunnerHost.telemetry`). @internal */
export interface AttemptTelemetry {
  startAttempt(job: RunnerJob, attempt: number): AttemptTrace;
}

type Handle = (request: InboundRequest) => Promise<InboundResponse>;
type Emit = (event: HookrunEvent) => void;

/**
 * Everything hookrun records, wired once by `createInboundWebhooks`; `undefined` (see
 * {@link createTelemetry}) when nothing would be recorded, so no hot path pays for it.
 */
export interface Telemetry extends AttemptTelemetry {
  /** The pipeline, plus its outcome on the active (HTTP server) span and in `hookrun.requests`. */
  observeRequests(handle: Handle): Handle;
  /** The runner, whose `enqueue` runs in a PRODUCER span that travels with the job. */
  producer(runner: Runner): Runner;
  /** `emit`, plus `hookrun.runs` counted from the run events; `emit` itself without metrics. */
  countRuns(emit: Emit): Emit;
  /** Stops observing the queue depth. */
  close(): void;
}

/**
 * The telemetry for `option`, or `undefined` when nothing would be recorded: `false`, no
 * `@opentelemetry/api`, or (`"auto"`) no SDK registered. Throws `HookrunConfigError` for `true`
 * without the API installed.
 */
export function createTelemetry(option: TelemetryOption, runner: Runner): Telemetry | undefined {
  if (option === false) return undefined;
  const api = loadOtelApi();
  if (!api) {
    if (option === true) throw new HookrunConfigError("options.telemetry", "true needs the package @opentelemetry/api installed next to @hookrun/core");
    return undefined;
  }
  const tracing = option === true || tracerProviderRegistered(api, names.INSTRUMENTATION_SCOPE);
  const metering = option === true || meterProviderRegistered(api, names.INSTRUMENTATION_SCOPE);
  // perf: with no SDK registered, hookrun runs exactly the code it runs with telemetry off.
  if (!tracing && !metering) return undefined;
  return new OtelTelemetry(api, runner, tracing, metering);
}

const STATUS_CODES: Record<number, string> = { 200: "ignored", 202: "accepted" };

/** The instruments, made from one meter provider. */
class Instruments {
  readonly requests: Counter;
  readonly runs: Counter;
  readonly durations: Histogram;
  private readonly depth: { gauge: ObservableGauge; observe: ObservableCallback } | undefined;

  constructor(
    readonly provider: MeterProvider,
    runner: Runner,
    destination: string,
  ) {
    const meter = provider.getMeter(names.INSTRUMENTATION_SCOPE);
    this.requests = meter.createCounter(names.METRIC_REQUESTS, {
      description: "Inbound webhook requests answered, by HTTP status and hookrun code",
      unit: "{request}",
    });
    this.runs = meter.createCounter(names.METRIC_RUNS, {
      description: "Finished run attempts by outcome: succeeded, retrying (will run again) or failed (the last attempt)",
      unit: "{attempt}",
    });
    this.durations = meter.createHistogram(names.METRIC_RUN_DURATION, {
      description: "Duration of each run attempt, by outcome (succeeded or failed)",
      unit: "s",
    });
    const depthOf = runner.depth?.bind(runner);
    if (depthOf) {
      const gauge = meter.createObservableGauge(names.METRIC_QUEUE_DEPTH, {
        description: "Runs waiting (queued or awaiting a retry) and running, as the runner sees them",
        unit: "{run}",
      });
      const observe: ObservableCallback = async (result) => {
        let depth: QueueDepth;
        try {
          depth = await depthOf();
        } catch {
          return; // The backend is unreachable: no value rather than a wrong one.
        }
        result.observe(depth.waiting, { "hookrun.queue.state": "waiting", "messaging.destination.name": destination });
        result.observe(depth.running, { "hookrun.queue.state": "running", "messaging.destination.name": destination });
      };
      gauge.addCallback(observe);
      this.depth = { gauge, observe };
    }
  }

  close(): void {
    this.depth?.gauge.removeCallback(this.depth.observe);
  }
}

class OtelTelemetry implements Telemetry {
  private tracerProvider: TracerProvider | undefined;
  private currentTracer: Tracer | undefined;
  private meterProvider: MeterProvider | undefined;
  private currentInstruments: Instruments | undefined;
  private readonly system: string;
  private readonly destination: string;

  constructor(
    private readonly api: OtelApi,
    private readonly runner: Runner,
    private readonly tracing: boolean,
    private readonly metering: boolean,
  ) {
    this.system = runner.messaging?.system ?? runner.name;
    this.destination = runner.messaging?.destination ?? runner.name;
    this.instruments();
  }

  /**
   * The tracer of the provider registered now. Looked up again when the global provider changed:
   * an SDK registered after hookrun (with `telemetry: true`) may have registered its own copy of
   * the API's proxy (an ESM app's copy, where hookrun required the CJS build).
   */
  private get tracer(): Tracer | undefined {
    if (!this.tracing) return undefined;
    const provider = this.api.trace.getTracerProvider();
    // perf: until an SDK is there (telemetry: true), no spans at all rather than the API's no-op ones.
    if (provider !== this.tracerProvider || this.currentTracer === undefined) {
      this.tracerProvider = provider;
      this.currentTracer = tracerProviderRegistered(this.api, names.INSTRUMENTATION_SCOPE) ? provider.getTracer(names.INSTRUMENTATION_SCOPE) : undefined;
    }
    return this.currentTracer;
  }

  /** The instruments of the meter provider registered now (see {@link tracer}). */
  private instruments(): Instruments | undefined {
    if (!this.metering) return undefined;
    const provider = this.api.metrics.getMeterProvider();
    if (provider !== this.meterProvider) {
      this.meterProvider = provider;
      this.currentInstruments?.close();
      // perf: the API's no-op provider (telemetry: true, no SDK yet) gets no instruments at all.
      this.currentInstruments = meterProviderRegistered(this.api, names.INSTRUMENTATION_SCOPE) ? new Instruments(provider, this.runner, this.destination) : undefined;
    }
    return this.currentInstruments;
  }

  observeRequests(handle: Handle): Handle {
    return (request) => {
      // The adapter calls hookrun inside the HTTP server span, whose context is active here.
      const span = this.tracer ? this.api.trace.getActiveSpan() : undefined;
      return handle(request).then((response) => {
        try {
          this.answered(span, request, response);
        } catch {
          // Telemetry never changes an answer.
        }
        return response;
      });
    };
  }

  private answered(span: Span | undefined, request: InboundRequest, response: InboundResponse): void {
    const { status } = response;
    const code = STATUS_CODES[status] ?? problemCode(response.body);
    if (span?.isRecording()) {
      span.setAttribute("hookrun.webhook.id", request.webhookId.slice(0, 128));
      span.setAttribute("http.response.status_code", status);
      span.setAttribute("hookrun.code", code);
      if (status === 202) {
        // For a fan-out webhook the first run's id, as in the 202; each run has its PRODUCER span.
        span.setAttribute("hookrun.run.id", (JSON.parse(response.body) as { runId: string }).runId);
        if (response.headers["idempotent-replayed"] === "true") span.setAttribute("hookrun.replayed", true);
      }
    }
    // A refused request's webhook id is whatever the sender put in the URL: never a metric attribute.
    this.instruments()?.requests.add(
      1,
      status < 300
        ? { "http.response.status_code": status, "hookrun.code": code, "hookrun.webhook.id": request.webhookId }
        : { "http.response.status_code": status, "hookrun.code": code },
    );
  }

  producer(runner: Runner): Runner {
    if (!this.tracing) return runner;
    const { api, destination } = this;
    const traced = Object.create(runner) as Runner;
    // Every job goes through the traced enqueue below, never around it.
    traced.enqueueNow = undefined;
    traced.enqueue = (job, options) => {
      const tracer = this.tracer;
      if (!tracer) return runner.enqueue(job, options);
      const attributes = this.jobAttributes(job, "send");
      const span = tracer.startSpan(`send ${destination}`, { kind: api.SpanKind.PRODUCER, attributes });
      const context = api.trace.setSpan(api.context.active(), span);
      // W3C traceparent (and tracestate) by the app's propagator: data only, so it crosses Redis.
      const carrier: Record<string, string> = {};
      api.propagation.inject(context, carrier);
      const sent: RunnerJob = isEmpty(carrier) ? job : { ...job, trace: carrier };
      return api.context.with(context, () => runner.enqueue(sent, options)).then(
        (receipt) => {
          if (receipt.replayed) {
            span.setAttribute("hookrun.replayed", true);
            span.setAttribute("hookrun.run.id", receipt.runId);
            span.setAttribute("messaging.message.id", receipt.runId);
          }
          span.end();
          return receipt;
        },
        (error: unknown) => {
          failSpan(api, span, error);
          span.end();
          throw error;
        },
      );
    };
    return traced;
  }

  countRuns(emit: Emit): Emit {
    if (!this.metering) return emit;
    return (event) => {
      const outcome = RUN_OUTCOMES[event.type];
      if (outcome !== undefined) this.instruments()?.runs.add(1, { "hookrun.webhook.id": event.webhookId, "hookrun.run.outcome": outcome });
      emit(event);
    };
  }

  startAttempt(job: RunnerJob, attempt: number): AttemptTrace {
    const { api, tracer } = this;
    // Parented by the job's PRODUCER span, never by whatever context started the runner's loop.
    const parent = job.trace ? api.propagation.extract(api.ROOT_CONTEXT, job.trace) : api.ROOT_CONTEXT;
    let span: Span | undefined;
    if (tracer) {
      const attributes = this.jobAttributes(job, "process");
      attributes["hookrun.run.attempt"] = attempt;
      span = tracer.startSpan(`process ${this.destination}`, { kind: api.SpanKind.CONSUMER, attributes }, parent);
    }
    return new OtelAttempt(this, job.webhookId, span, span ? api.trace.setSpan(parent, span) : parent);
  }

  /** @internal */
  endAttempt(attempt: OtelAttempt, failure: unknown): void {
    const { span } = attempt;
    if (span) {
      if (failure !== undefined) failSpan(this.api, span, failure);
      span.end();
    }
    this.instruments()?.durations.record((performance.now() - attempt.startedAt) / 1000, {
      "hookrun.webhook.id": attempt.webhookId,
      "hookrun.run.outcome": failure === undefined ? "succeeded" : "failed",
    });
  }

  /** @internal */
  callAgent(attempt: OtelAttempt, agent: Agent, envelope: Envelope, ctx: AgentContext): unknown {
    return this.api.context.with(attempt.context, agent, undefined, envelope, ctx);
  }

  close(): void {
    this.currentInstruments?.close();
  }

  /** perf: one literal with constant keys (no spread), as span attributes are built per run. */
  private jobAttributes(job: RunnerJob, operation: "send" | "process"): Attributes {
    const attributes: Attributes = {
      "hookrun.webhook.id": job.webhookId,
      "hookrun.run.id": job.runId,
      "messaging.system": this.system,
      "messaging.destination.name": this.destination,
      "messaging.message.id": job.runId,
      "messaging.operation.type": operation,
      "messaging.operation.name": operation,
    };
    if (job.deliveryId !== undefined) attributes["hookrun.delivery.id"] = job.deliveryId;
    if (job.agent !== undefined) attributes["hookrun.agent"] = job.agent;
    return attributes;
  }
}

class OtelAttempt implements AttemptTrace {
  readonly startedAt = performance.now();
  private ended = false;

  constructor(
    private readonly telemetry: OtelTelemetry,
    readonly webhookId: string,
    readonly span: Span | undefined,
    readonly context: Context,
  ) {}

  call(agent: Agent, envelope: Envelope, ctx: AgentContext): unknown {
    return this.telemetry.callAgent(this, agent, envelope, ctx);
  }

  end(failure: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.telemetry.endAttempt(this, failure);
  }
}

const RUN_OUTCOMES: Partial<Record<HookrunEvent["type"], string>> = {
  "run.succeeded": "succeeded",
  "run.retrying": "retrying",
  "run.failed": "failed",
};

/** ERROR status with the error's name and message only: never its stack, cause or any payload. */
function failSpan(api: OtelApi, span: Span, error: unknown): void {
  const { name, message } = describeError(error);
  span.setStatus({ code: api.SpanStatusCode.ERROR, message });
  span.setAttribute("error.type", name);
  span.recordException({ name, message });
}

function isEmpty(carrier: Record<string, string>): boolean {
  for (const _ in carrier) return false;
  return true;
}

/** The `code` of a problem+json body hookrun wrote. */
function problemCode(body: string): string {
  try {
    const code = (JSON.parse(body) as { code?: unknown }).code;
    return typeof code === "string" ? code : "unknown";
  } catch {
    return "unknown";
  }
}
