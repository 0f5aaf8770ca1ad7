/**
 * The dashboard's browser script. It is served as `String(dashboardClient)` wrapped in an IIFE, so
 * it must stay self-contained: no imports, no references to anything outside this function (types
 * are erased). Typechecked with the DOM library like the rest of the package.
 *
 * Every value that came from the API (payloads, headers, ids, log lines, errors) is untrusted: it
 * reaches the page only as text nodes (`h()` turns strings into `Text`), never as HTML, and links
 * are built only as `#/...` fragments from `encodeURIComponent`-ed ids.
 */
export function dashboardClient(): void {
  type Json = any;
  type Child = Node | string | number | null | undefined | false;
  type Props = {
    class?: string;
    href?: string;
    title?: string;
    type?: string;
    name?: string;
    value?: string;
    placeholder?: string;
    disabled?: boolean;
    open?: boolean;
    testid?: string;
    onclick?: (event: MouseEvent) => void;
    onsubmit?: (event: SubmitEvent) => void;
  };

  const script = document.currentScript as HTMLScriptElement;
  const apiBase = new URL("../api/", script.src);
  const pollMs = Number(script.dataset.pollMs) || 3000;
  const STATUSES = ["queued", "running", "retrying", "succeeded", "failed"];
  const PREVIEW_CHARS = 64 * 1024;
  const app = document.getElementById("app")!;
  let role: "viewer" | "operator" = "viewer";
  let poller: number | undefined;
  let renderToken = 0;

  function h(tag: string, props: Props | null = null, ...children: Child[]): HTMLElement {
    const element = document.createElement(tag);
    if (props) {
      if (props.class) element.className = props.class;
      // Only fragments this script built: an id is always encodeURIComponent-ed into them.
      if (props.href !== undefined && props.href.startsWith("#")) element.setAttribute("href", props.href);
      if (props.title !== undefined) element.title = props.title;
      if (props.type !== undefined) element.setAttribute("type", props.type);
      if (props.name !== undefined) element.setAttribute("name", props.name);
      if (props.placeholder !== undefined) element.setAttribute("placeholder", props.placeholder);
      if (props.value !== undefined) (element as HTMLInputElement).value = props.value;
      if (props.disabled) (element as HTMLButtonElement).disabled = true;
      if (props.open) (element as HTMLDetailsElement).open = true;
      if (props.testid) element.dataset.testid = props.testid;
      if (props.onclick) element.addEventListener("click", props.onclick);
      if (props.onsubmit) element.addEventListener("submit", props.onsubmit);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      element.append(typeof child === "object" ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  async function call(path: string, body?: unknown): Promise<Json> {
    const init: RequestInit = { credentials: "same-origin", cache: "no-store", headers: { accept: "application/json" } };
    if (body !== undefined) {
      init.method = "POST";
      init.headers = { accept: "application/json", "content-type": "application/json", "x-hookrun-csrf": "1" };
      init.body = JSON.stringify(body);
    }
    const response = await fetch(new URL(path, apiBase), init);
    const text = await response.text();
    let parsed: Json;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = {};
    }
    if (!response.ok) throw new Error(typeof parsed.detail === "string" ? parsed.detail : `HTTP ${response.status}`);
    return parsed;
  }

  const fragment = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join("/")}`;
  const runLink = (runId: string) => h("a", { href: fragment("runs", runId), class: "mono" }, runId);

  function time(value: unknown): string {
    if (value === undefined || value === null) return "";
    const date = new Date(value as string);
    return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  }

  function duration(ms: unknown): string {
    if (typeof ms !== "number") return "";
    return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  }

  function bytes(n: number): string {
    return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(2)} MiB`;
  }

  const badge = (status: string) => h("span", { class: `badge status-${STATUSES.includes(status) ? status : "other"}` }, status);

  function banner(message: string): HTMLElement {
    return h("p", { class: "banner error", testid: "error" }, message);
  }

  /** Pretty JSON as text; long documents show a preview first so a 1 MiB payload stays responsive. */
  function jsonViewer(value: unknown, testid: string): HTMLElement {
    let text: string;
    try {
      text = value === undefined ? "(none)" : typeof value === "string" ? value : JSON.stringify(value, null, 2);
    } catch {
      text = String(value);
    }
    const pre = h("pre", { class: "json", testid });
    if (text.length <= PREVIEW_CHARS) {
      pre.textContent = text;
      return pre;
    }
    pre.textContent = `${text.slice(0, PREVIEW_CHARS)}\n…`;
    const more = h("button", { type: "button", testid: `${testid}-all` }, `Show all (${bytes(text.length)})`);
    more.addEventListener("click", () => {
      pre.textContent = text;
      more.remove();
    });
    return h("div", null, pre, more);
  }

  function table(headers: string[], rows: HTMLElement[], testid: string): HTMLElement {
    return h(
      "table",
      { testid },
      h("thead", null, h("tr", null, ...headers.map((label) => h("th", null, label)))),
      h("tbody", null, ...rows),
    );
  }

  function params(): URLSearchParams {
    const hash = location.hash.slice(1);
    const query = hash.indexOf("?");
    return new URLSearchParams(query === -1 ? "" : hash.slice(query + 1));
  }

  function stopPolling(): void {
    if (poller !== undefined) clearInterval(poller);
    poller = undefined;
  }

  // ---- runs list (also the failed-runs view) --------------------------------------------------

  function runRow(run: Json): HTMLElement {
    const row = h(
      "tr",
      { testid: "run-row" },
      h("td", { class: "cell-status" }, badge(run.status)),
      h("td", null, time(run.receivedAt)),
      h("td", null, run.webhookId, run.agent ? h("span", { class: "muted" }, ` · ${run.agent}`) : null),
      h("td", null, runLink(run.runId), run.replayOf ? h("span", { class: "muted", title: `replay of ${run.replayOf}` }, " ↻") : null),
      h("td", { class: "mono" }, run.deliveryId ?? ""),
      h("td", { class: "cell-attempts" }, String(run.attempts ?? 0)),
      h("td", { class: "cell-duration" }, duration(run.durationMs)),
      h("td", { class: "cell-error" }, run.lastError ?? ""),
    );
    row.dataset.runId = run.runId;
    return row;
  }

  function updateRow(row: HTMLElement, run: Json): void {
    const cells = row.children;
    cells[0]!.replaceChildren(badge(run.status));
    cells[5]!.textContent = String(run.attempts ?? 0);
    cells[6]!.textContent = duration(run.durationMs);
    cells[7]!.textContent = run.lastError ?? "";
  }

  /** "Received within" choices: the page keeps the window (`24h`), the API gets a time. */
  const WINDOWS: Record<string, number> = { "1h": 3_600_000, "24h": 86_400_000, "7d": 604_800_000 };

  function runsQuery(filters: URLSearchParams, cursor?: string): string {
    const query = new URLSearchParams();
    for (const key of ["status", "webhookId", "q"]) {
      const value = filters.get(key);
      if (value) query.set(key, value);
    }
    const windowMs = WINDOWS[filters.get("within") ?? ""];
    if (windowMs) query.set("since", String(Date.now() - windowMs));
    if (cursor) query.set("cursor", cursor);
    return `runs?${query}`;
  }

  function filterForm(filters: URLSearchParams, view: string, fixedStatus?: string): HTMLElement {
    const status = h(
      "select",
      { name: "status", disabled: fixedStatus !== undefined },
      h("option", { value: "" }, "any status"),
      ...STATUSES.map((s) => h("option", { value: s }, s)),
    ) as HTMLSelectElement;
    status.value = fixedStatus ?? filters.get("status") ?? "";
    const webhook = h("input", { name: "webhookId", placeholder: "webhook id", value: filters.get("webhookId") ?? "" }) as HTMLInputElement;
    const search = h("input", { name: "q", placeholder: "run id or delivery id", value: filters.get("q") ?? "", testid: "search" }) as HTMLInputElement;
    const within = h(
      "select",
      { name: "within" },
      h("option", { value: "" }, "any time"),
      ...Object.keys(WINDOWS).map((key) => h("option", { value: key }, `last ${key}`)),
    ) as HTMLSelectElement;
    within.value = filters.get("within") ?? "";
    return h(
      "form",
      {
        class: "filters",
        onsubmit: (event) => {
          event.preventDefault();
          const next = new URLSearchParams();
          if (!fixedStatus && status.value) next.set("status", status.value);
          if (webhook.value.trim()) next.set("webhookId", webhook.value.trim());
          if (search.value.trim()) next.set("q", search.value.trim());
          if (within.value) next.set("within", within.value);
          location.hash = `#/${view}?${next}`;
        },
      },
      status,
      webhook,
      within,
      search,
      h("button", { type: "submit" }, "Filter"),
    );
  }

  function replayAllPanel(filters: URLSearchParams): HTMLElement {
    const filter: Record<string, string | number> = { status: "failed" };
    const webhookId = filters.get("webhookId");
    if (webhookId) filter.webhookId = webhookId;
    const panel = h("div", { class: "replay-all", testid: "replay-all" });
    if (filters.get("q")) return h("p", { class: "muted", testid: "replay-all" }, "Clear the search to replay all matching runs.");
    const start = h(
      "button",
      { type: "button", testid: "replay-all-start", disabled: role !== "operator", title: role === "operator" ? "" : "replaying needs the operator role" },
      "Replay all matching…",
    );
    start.addEventListener("click", async () => {
      start.setAttribute("disabled", "");
      const windowMs = WINDOWS[filters.get("within") ?? ""];
      if (windowMs) filter.since = Date.now() - windowMs;
      try {
        const { matched: count } = await call("replay-many", { filter, dryRun: true });
        const confirm = h("button", { type: "button", class: "danger", testid: "replay-all-confirm", disabled: count === 0 }, `Replay ${count} run${count === 1 ? "" : "s"}`);
        const cancel = h("button", { type: "button" }, "Cancel");
        cancel.addEventListener("click", () => {
          start.removeAttribute("disabled");
          panel.replaceChildren(start);
        });
        confirm.addEventListener("click", async () => {
          confirm.setAttribute("disabled", "");
          try {
            const done = await call("replay-many", { filter, dryRun: false });
            const replayed = done.replays.length;
            const skipped = done.skipped.length;
            panel.replaceChildren(
              h("p", { class: "banner ok", testid: "replay-all-done" }, `Replayed ${replayed} run${replayed === 1 ? "" : "s"}${skipped ? `; ${skipped} could not be replayed` : ""}.`),
            );
          } catch (error) {
            panel.replaceChildren(banner((error as Error).message));
          }
        });
        panel.replaceChildren(
          h("p", { testid: "replay-all-count" }, `${count} failed run${count === 1 ? "" : "s"} match${count === 1 ? "es" : ""} this filter.`),
          confirm,
          cancel,
        );
      } catch (error) {
        panel.replaceChildren(banner((error as Error).message), start);
        start.removeAttribute("disabled");
      }
    });
    panel.append(start);
    return panel;
  }

  async function runsView(view: "runs" | "failed", token: number): Promise<void> {
    const filters = params();
    if (view === "failed") filters.set("status", "failed");
    const heading = view === "failed" ? "Failed runs" : "Runs";
    const newBar = h("button", { type: "button", class: "new-runs", testid: "new-runs" });
    newBar.hidden = true;
    const tbody = h("tbody");
    const more = h("button", { type: "button", testid: "load-more" }, "Load more");
    more.hidden = true;
    const body = h(
      "section",
      null,
      h("h1", null, heading),
      filterForm(filters, view, view === "failed" ? "failed" : undefined),
      view === "failed" ? replayAllPanel(filters) : null,
      newBar,
      h(
        "table",
        { testid: "runs" },
        h("thead", null, h("tr", null, ...["status", "received", "webhook", "run", "delivery", "attempts", "duration", "last error"].map((label) => h("th", null, label)))),
        tbody,
      ),
      more,
    );
    const { runs, nextCursor } = await call(runsQuery(filters));
    if (token !== renderToken) return;
    const shown = new Map<string, HTMLElement>();
    const append = (list: Json[]) => {
      for (const run of list) {
        if (shown.has(run.runId)) continue;
        const row = runRow(run);
        shown.set(run.runId, row);
        tbody.append(row);
      }
    };
    append(runs);
    if (runs.length === 0) tbody.append(h("tr", { testid: "empty" }, h("td", null, "No runs match.")));
    let cursor: string | undefined = nextCursor;
    more.hidden = !cursor;
    more.addEventListener("click", async () => {
      try {
        const page = await call(runsQuery(filters, cursor));
        append(page.runs);
        cursor = page.nextCursor;
        more.hidden = !cursor;
      } catch (error) {
        more.before(banner((error as Error).message));
      }
    });
    // New runs wait behind a bar: the rows under the reader's eyes never move by themselves.
    let pending: Json[] = [];
    newBar.addEventListener("click", () => {
      tbody.querySelector("[data-testid=empty]")?.remove();
      for (const run of pending.reverse()) {
        const row = runRow(run);
        shown.set(run.runId, row);
        tbody.prepend(row);
      }
      pending = [];
      newBar.hidden = true;
    });
    app.replaceChildren(body);
    poller = window.setInterval(async () => {
      try {
        const latest = await call(runsQuery(filters));
        if (token !== renderToken) return;
        pending = [];
        for (const run of latest.runs as Json[]) {
          const row = shown.get(run.runId);
          if (row) updateRow(row, run);
          else pending.push(run);
        }
        newBar.textContent = `${pending.length} new run${pending.length === 1 ? "" : "s"} — show`;
        newBar.hidden = pending.length === 0;
      } catch {
        // A failed poll is retried on the next tick.
      }
    }, pollMs);
  }

  // ---- run detail ---------------------------------------------------------------------------

  function looksLikeAgentRecord(value: Json): boolean {
    return typeof value === "object" && value !== null && typeof value.stopReason === "string" && Array.isArray(value.steps);
  }

  function usageText(usage: Json): string {
    if (!usage || typeof usage !== "object") return "";
    return `${usage.inputTokens ?? "?"} in / ${usage.outputTokens ?? "?"} out / ${usage.totalTokens ?? "?"} total tokens`;
  }

  function agentRecordView(record: Json): HTMLElement {
    const steps = (record.steps as Json[]).map((step, index) =>
      h(
        "div",
        { class: "step", testid: "agent-step" },
        h("h4", null, `Step ${index + 1}`, h("span", { class: "muted" }, ` · ${step.finishReason ?? ""} · ${usageText(step.usage)}`)),
        Array.isArray(step.toolCalls) && step.toolCalls.length > 0
          ? table(
              ["tool", "outcome", "duration", "input", "output / error"],
              (step.toolCalls as Json[]).map((call) =>
                h(
                  "tr",
                  { testid: "tool-call" },
                  h("td", { class: "mono" }, call.toolName),
                  h("td", null, call.refused ? h("span", { class: "badge status-failed" }, "refused") : call.error !== undefined ? h("span", { class: "badge status-failed" }, "error") : h("span", { class: "badge status-succeeded" }, "ok")),
                  h("td", null, duration(call.durationMs)),
                  h("td", null, h("details", null, h("summary", null, "input"), jsonViewer(call.input, "tool-input"))),
                  h("td", null, call.error !== undefined ? h("span", { class: "error" }, typeof call.error === "string" ? call.error : JSON.stringify(call.error)) : h("details", null, h("summary", null, "output"), jsonViewer(call.output, "tool-output"))),
                ),
              ),
              "tool-calls",
            )
          : h("p", { class: "muted" }, "no tool calls"),
      ),
    );
    return h(
      "div",
      { testid: "agent-record" },
      h("p", null, "Stop reason: ", h("strong", { testid: "stop-reason" }, record.stopReason), ` · ${usageText(record.usage)}`),
      record.text ? h("pre", { class: "json", testid: "agent-text" }, String(record.text)) : null,
      ...steps,
      record.output !== undefined ? h("div", null, h("h4", null, "Structured output"), jsonViewer(record.output, "agent-output")) : null,
    );
  }

  function attemptView(attempt: Json): HTMLElement {
    const logs = Array.isArray(attempt.logs) ? (attempt.logs as Json[]) : [];
    const startedMs = new Date(attempt.startedAt).getTime();
    const finishedMs = new Date(attempt.finishedAt).getTime();
    return h(
      "li",
      { class: attempt.error ? "attempt failed" : "attempt", testid: "attempt" },
      h(
        "h3",
        null,
        `Attempt ${attempt.attempt}`,
        h("span", { class: "muted" }, ` · ${time(attempt.startedAt)}${attempt.finishedAt ? ` · ${duration(finishedMs - startedMs)}` : " · running"}`),
      ),
      attempt.error
        ? h(
            "div",
            { class: "attempt-error" },
            h("p", { class: "error", testid: "attempt-error" }, attempt.error.message ?? ""),
            attempt.error.stack ? h("details", null, h("summary", null, "stack"), h("pre", { testid: "attempt-stack" }, attempt.error.stack)) : null,
          )
        : null,
      logs.length > 0
        ? table(
            ["time", "level", "message", "fields"],
            logs.map((line) =>
              h(
                "tr",
                { testid: "log-line" },
                h("td", null, time(line.time)),
                h("td", { class: `level-${["debug", "info", "warn", "error"].includes(line.level) ? line.level : "other"}` }, line.level),
                h("td", { class: "log-message" }, line.message),
                h("td", { class: "mono" }, line.fields && Object.keys(line.fields).length > 0 ? JSON.stringify(line.fields) : ""),
              ),
            ),
            "logs",
          )
        : h("p", { class: "muted" }, "no log lines"),
      attempt.logsDropped ? h("p", { class: "muted" }, `${attempt.logsDropped} more line${attempt.logsDropped === 1 ? "" : "s"} not kept`) : null,
    );
  }

  /** The stored request metadata: credential and signature headers were never stored. */
  function requestView(request: Json): HTMLElement {
    const headers = request.headers && typeof request.headers === "object" ? Object.entries(request.headers as Record<string, unknown>) : [];
    return h(
      "div",
      { testid: "request" },
      h("h2", null, "Request"),
      metaList([
        ["content type", request.contentType],
        ["body", typeof request.bytes === "number" ? bytes(request.bytes) : undefined],
      ]),
      headers.length > 0
        ? table(["header", "value"], headers.map(([name, value]) => h("tr", { testid: "request-header" }, h("td", { class: "mono" }, name), h("td", { class: "mono" }, String(value)))), "request-headers")
        : null,
      h("p", { class: "muted" }, "Credential and signature headers are never stored."),
    );
  }

  function metaList(entries: Array<[string, Child]>): HTMLElement {
    return h("dl", { class: "meta" }, ...entries.flatMap(([label, value]) => (value === undefined || value === null || value === "" ? [] : [h("dt", null, label), h("dd", null, value)])));
  }

  /** What changes while a run is under way; the page is redrawn only when it does. */
  const progress = (run: Json) => JSON.stringify([run.status, run.attempts?.length, run.attempts?.[run.attempts.length - 1]?.finishedAt, run.replays?.length]);

  async function runView(runId: string, token: number, known?: Json): Promise<void> {
    const run = known ?? (await call(`runs/${encodeURIComponent(runId)}`));
    if (token !== renderToken) return;
    if (!["succeeded", "failed"].includes(run.status)) {
      // Until the run settles, follow it (a replay just started, a retry under way).
      poller = window.setInterval(async () => {
        try {
          const latest = await call(`runs/${encodeURIComponent(runId)}`);
          if (token !== renderToken || progress(latest) === progress(run)) return;
          stopPolling();
          await runView(runId, token, latest);
        } catch {
          // retried on the next tick
        }
      }, pollMs);
    }
    const replayButton = h(
      "button",
      { type: "button", class: "danger", testid: "replay", disabled: role !== "operator", title: role === "operator" ? "" : "replaying needs the operator role" },
      "Replay",
    );
    const replayStatus = h("span", { testid: "replay-status" });
    replayButton.addEventListener("click", async () => {
      replayButton.setAttribute("disabled", "");
      try {
        const replayed = await call(`runs/${encodeURIComponent(run.runId)}/replay`, { reason: "replayed from the dashboard" });
        location.hash = fragment("runs", replayed.runId);
      } catch (error) {
        replayStatus.replaceChildren(banner((error as Error).message));
        replayButton.removeAttribute("disabled");
      }
    });
    const attempts = [...((run.attempts as Json[]) ?? [])].sort((a, b) => b.attempt - a.attempt);
    const request = run.request;
    const replays = (run.replays as string[]) ?? [];
    app.replaceChildren(
      h(
        "section",
        { testid: "run" },
        h("p", null, h("a", { href: "#/runs" }, "← runs")),
        h("h1", null, "Run ", h("span", { class: "mono", testid: "run-id" }, run.runId), " ", badge(run.status)),
        h("div", { class: "actions" }, replayButton, replayStatus),
        metaList([
          ["webhook", run.webhookId],
          ["agent", run.agent],
          ["delivery id", run.deliveryId],
          ["received", time(run.receivedAt)],
          ["started", time(run.startedAt)],
          ["finished", time(run.finishedAt)],
          ["duration", duration(run.durationMs)],
          ["replay reason", run.replayReason],
        ]),
        h(
          "div",
          { class: "lineage", testid: "lineage" },
          run.replayOf ? h("p", { testid: "replay-of" }, "Replay of ", runLink(run.replayOf)) : null,
          replays.length > 0 ? h("p", { testid: "replays" }, "Replayed as ", ...replays.flatMap((id, i) => [i > 0 ? ", " : "", runLink(id)])) : null,
        ),
        h("h2", null, `Attempts (${attempts.length})`),
        attempts.length > 0 ? h("ol", { class: "attempts", testid: "attempts" }, ...attempts.map(attemptView)) : h("p", { class: "muted" }, "not started yet"),
        h("h2", null, "Result"),
        run.result === undefined ? h("p", { class: "muted" }, run.resultOmitted === "too_large" ? "not stored: larger than the store's limit" : run.resultOmitted === "not_json" ? "not stored: not JSON" : "no result") : looksLikeAgentRecord(run.result) ? agentRecordView(run.result) : jsonViewer(run.result, "result"),
        request && typeof request === "object" ? requestView(request) : null,
        h("h2", null, run.redacted ? "Envelope (redacted)" : "Envelope"),
        run.envelope === undefined
          ? h("p", { class: "muted", testid: "payload-omitted" }, run.envelopeOmitted === "too_large" ? "not stored: larger than the store's limit" : "not stored")
          : jsonViewer(run.envelope, "payload"),
      ),
    );
  }

  // ---- refused requests and per-webhook summary ---------------------------------------------

  async function refusedView(token: number): Promise<void> {
    const { refused } = await call("refused");
    if (token !== renderToken) return;
    app.replaceChildren(
      h(
        "section",
        null,
        h("h1", null, "Refused requests"),
        h("p", { class: "muted" }, "Requests the webhook endpoint turned away: metadata only, never a body or a credential."),
        (refused as Json[]).length === 0
          ? h("p", { testid: "empty" }, "No refused requests.")
          : table(
              ["time", "webhook (as sent)", "status", "code", "reason", "body bytes"],
              (refused as Json[]).map((entry) =>
                h(
                  "tr",
                  { testid: "refused-row" },
                  h("td", null, time(entry.time)),
                  h("td", { class: "mono" }, entry.webhookId),
                  h("td", null, String(entry.status)),
                  h("td", null, entry.code),
                  h("td", null, entry.reason),
                  h("td", null, entry.bytes === undefined ? "" : String(entry.bytes)),
                ),
              ),
              "refused",
            ),
      ),
    );
  }

  async function webhooksView(token: number): Promise<void> {
    const summary = await call("summary");
    if (token !== renderToken) return;
    const cell = (webhookId: string, status: string, count: number) =>
      h("td", null, count > 0 ? h("a", { href: `#/runs?${new URLSearchParams({ webhookId, status })}` }, String(count)) : "0");
    app.replaceChildren(
      h(
        "section",
        null,
        h("h1", null, "Webhooks"),
        h("p", { class: "muted" }, "Runs received in the last 24 hours."),
        (summary.webhooks as Json[]).length === 0
          ? h("p", { testid: "empty" }, "No runs in the last 24 hours.")
          : table(
              ["webhook", "total", ...STATUSES],
              (summary.webhooks as Json[]).map((webhook) =>
                h(
                  "tr",
                  { testid: "webhook-row" },
                  h("td", null, h("a", { href: `#/runs?${new URLSearchParams({ webhookId: webhook.webhookId })}`, class: "mono" }, webhook.webhookId)),
                  h("td", null, String(webhook.total)),
                  ...STATUSES.map((status) => cell(webhook.webhookId, status, webhook.counts[status] ?? 0)),
                ),
              ),
              "webhooks",
            ),
      ),
    );
  }

  // ---- shell and routing --------------------------------------------------------------------

  const nav = h(
    "nav",
    null,
    h("strong", null, "hookrun"),
    h("a", { href: "#/runs" }, "Runs"),
    h("a", { href: "#/failed" }, "Failed"),
    h("a", { href: "#/refused" }, "Refused"),
    h("a", { href: "#/webhooks" }, "Webhooks"),
  );
  const roleBadge = h("span", { class: "role", testid: "role" });
  nav.append(roleBadge);
  document.body.prepend(h("header", null, nav));

  async function route(): Promise<void> {
    stopPolling();
    const token = ++renderToken;
    const path = location.hash.replace(/^#\/?/, "").split("?")[0]!.split("/").map(decodeURIComponent);
    for (const link of nav.querySelectorAll("a")) link.classList.toggle("active", link.getAttribute("href") === `#/${path[0] || "runs"}`);
    try {
      if (path[0] === "runs" && path[1]) await runView(path[1], token);
      else if (path[0] === "failed") await runsView("failed", token);
      else if (path[0] === "refused") await refusedView(token);
      else if (path[0] === "webhooks") await webhooksView(token);
      else await runsView("runs", token);
    } catch (error) {
      if (token === renderToken) app.replaceChildren(banner((error as Error).message));
    }
  }

  window.addEventListener("hashchange", () => void route());
  void call("session")
    .then((session) => {
      role = session.role === "operator" ? "operator" : "viewer";
      roleBadge.textContent = role;
    })
    .catch(() => undefined)
    .then(route);
}
