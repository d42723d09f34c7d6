import { useEffect, useMemo, useState } from "preact/hooks";
import {
  createRecurringRun,
  createRun,
  getRecurringRun,
  getRun,
  getVersion,
  listExperiments,
  listPipelines,
  listProfiles,
  listVersions,
} from "../api/client";
import type { RecurringRun, Run, Trigger } from "../api/types";
import { ErrorBox, Loading } from "../components/Messages";
import { PageHeader } from "../components/PageHeader";
import { errorText, useLoad } from "../hooks";
import {
  type ParameterField,
  parameterFields,
  parseParameter,
  parseParameters,
  TYPE_LABELS,
  toText,
} from "../lib/params";
import { type PipelineSpec, pipelineParameters, pipelineSpecOf } from "../lib/spec";
import { navigate } from "../router";

const LIST_LIMIT = { pageSize: 200 };
const INTERVAL_UNITS: Array<[string, number]> = [
  ["minutes", 60],
  ["hours", 3600],
  ["days", 86400],
];

export function CreateRunPage({ query }: { query: URLSearchParams }) {
  const cloneId = query.get("clone");
  const cloneRecurringId = query.get("cloneRecurring");
  const clone = useLoad<Run | RecurringRun | undefined>(
    () =>
      cloneId
        ? getRun(cloneId)
        : cloneRecurringId
          ? getRecurringRun(cloneRecurringId)
          : Promise.resolve(undefined),
    cloneId ?? `recurring:${cloneRecurringId ?? ""}`,
  );
  const what = cloneRecurringId ? "recurring run" : "run";
  if (clone.error) return <ErrorBox message={`Cannot load the ${what} to clone: ${clone.error}`} onRetry={clone.reload} />;
  if ((cloneId || cloneRecurringId) && !clone.data) return <Loading what={`Loading the ${what} to clone`} />;
  return <CreateRunForm key={cloneId ?? cloneRecurringId ?? ""} query={query} source={clone.data} />;
}

type Source = Run | RecurringRun;

function isRecurring(source: Source | undefined): source is RecurringRun {
  return Boolean(source && "recurring_run_id" in source && !("run_id" in source));
}

/** The form's schedule for a recurring run being cloned (periodic in the largest whole unit). */
function scheduleOf(source: RecurringRun | undefined): ScheduleState {
  const base: ScheduleState = { kind: "periodic", every: "1", unit: 3600, cron: "0 0 * * * *", timeZone: browserTimeZone(), maxConcurrency: "1", catchup: true };
  if (!source) return base;
  const common = { ...base, maxConcurrency: source.max_concurrency ?? "1", catchup: !source.no_catchup };
  const cron = source.trigger?.cron_schedule;
  if (cron?.cron) return { ...common, kind: "cron", cron: cron.cron, timeZone: cron.time_zone ?? "" };
  const seconds = Number(source.trigger?.periodic_schedule?.interval_second ?? 3600);
  const fitting: [string, number] | undefined = [...INTERVAL_UNITS].reverse().find(([, size]) => seconds % size === 0);
  const unit = fitting ? fitting[1] : 60;
  return { ...common, kind: "periodic", every: String(Math.max(1, Math.round(seconds / unit))), unit };
}

function CreateRunForm({ query, source }: { query: URLSearchParams; source: Source | undefined }) {
  const sourceReference = source?.pipeline_version_reference;
  const sourceRecurring = isRecurring(source) ? source : undefined;
  const sourceName = source ? source.display_name || ("run_id" in source ? source.run_id : source.recurring_run_id) : "";
  const [pipelineId, setPipelineId] = useState(query.get("pipeline") ?? sourceReference?.pipeline_id ?? "");
  const [versionId, setVersionId] = useState(query.get("version") ?? sourceReference?.pipeline_version_id ?? "");
  // KFP's "always use the latest version": a recurring run names only the pipeline; each fire takes its newest.
  const [latest, setLatest] = useState(Boolean(sourceRecurring && sourceReference?.pipeline_id && !sourceReference.pipeline_version_id));
  const [experimentId, setExperimentId] = useState(query.get("experiment") ?? source?.experiment_id ?? "");
  const [name, setName] = useState(source ? `Clone of ${sourceName}` : "");
  const [description, setDescription] = useState(source?.description ?? "");
  const [pipelineRoot, setPipelineRoot] = useState(source?.runtime_config?.pipeline_root ?? "");
  const [recurring, setRecurring] = useState(query.get("recurring") === "1" || Boolean(sourceRecurring));
  const [schedule, setSchedule] = useState<ScheduleState>(() => scheduleOf(sourceRecurring));
  // Cloning starts from the source run's values instead of the defaults.
  const [texts, setTexts] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(source?.runtime_config?.parameters ?? {}).map(([key, value]) => [key, toText(value)])),
  );
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitError, setSubmitError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const pipelines = useLoad(() => listPipelines({ ...LIST_LIMIT, sortBy: "display_name asc" }), "pipelines");
  const experiments = useLoad(() => listExperiments({ ...LIST_LIMIT, sortBy: "display_name asc" }), "experiments");
  const namespace = experiments.data?.items.find((item) => item.experiment_id === experimentId)?.namespace || "default";
  const profiles = useLoad(() => listProfiles(namespace), namespace);
  const [profile, setProfile] = useState("");
  const versions = useLoad(
    () => (pipelineId ? listVersions(pipelineId, { ...LIST_LIMIT, sortBy: "created_at desc" }) : Promise.resolve(undefined)),
    pipelineId,
  );
  // A pipeline chosen without a version gets its newest.
  useEffect(() => {
    const items = versions.data?.items;
    if (items?.length && !items.some((item) => item.pipeline_version_id === versionId)) {
      setVersionId(items[0]!.pipeline_version_id);
    }
  }, [versions.data, versionId]);
  useEffect(() => {
    const items = experiments.data?.items;
    if (items?.length && !experimentId) {
      setExperimentId((items.find((item) => item.display_name === "Default") ?? items[0]!).experiment_id);
    }
  }, [experiments.data, experimentId]);

  const version = useLoad(
    () => (pipelineId && versionId ? getVersion(pipelineId, versionId) : Promise.resolve(undefined)),
    `${pipelineId}/${versionId}`,
  );
  // A cloned run without a pipeline version carries its own spec.
  const inlineSpec = source && !sourceReference?.pipeline_version_id && !pipelineId ? source.pipeline_spec : undefined;
  const spec: PipelineSpec | undefined = pipelineSpecOf(version.data?.pipeline_spec ?? inlineSpec);
  const fields = useMemo(() => parameterFields(pipelineParameters(spec)), [spec]);

  const textOf = (field: ParameterField) => texts[field.name] ?? field.initialText;
  const pipelineName = pipelines.data?.items.find((item) => item.pipeline_id === pipelineId)?.display_name;

  const submit = async (event: Event) => {
    event.preventDefault();
    setTouched(new Set(fields.map((field) => field.name)));
    const { values, errors } = parseParameters(fields, texts);
    const invalid = Object.keys(errors);
    if (invalid.length) {
      document.getElementById(`parameter-${invalid[0]}`)?.focus();
      return setSubmitError("Some parameters are not valid: see the fields marked in red.");
    }
    if (!spec) return setSubmitError("Choose a pipeline and a version first.");
    const displayName = name.trim() || `${pipelineName ?? spec.pipelineInfo?.name ?? "run"} ${new Date().toLocaleString()}`;
    const followLatest = recurring && latest && Boolean(pipelineId);
    const common = {
      display_name: displayName,
      description,
      experiment_id: experimentId,
      runtime_config: { parameters: values, ...(pipelineRoot.trim() ? { pipeline_root: pipelineRoot.trim() } : {}) },
      ...(followLatest
        ? { pipeline_version_reference: { pipeline_id: pipelineId } }
        : pipelineId && versionId
          ? { pipeline_version_reference: { pipeline_id: pipelineId, pipeline_version_id: versionId } }
          : { pipeline_spec: inlineSpec ?? {} }),
    };
    setBusy(true);
    setSubmitError(undefined);
    try {
      if (recurring) {
        const trigger = triggerOf(schedule);
        if (typeof trigger === "string") throw new Error(trigger);
        const created = await createRecurringRun({
          ...common,
          trigger,
          max_concurrency: schedule.maxConcurrency,
          no_catchup: !schedule.catchup,
          mode: "ENABLE",
        } as Partial<RecurringRun>);
        navigate(`/recurring/${created.recurring_run_id}`);
      } else {
        const created = await createRun({ ...(common as Partial<Run>), ...(profile ? { profile } : {}) });
        navigate(`/runs/${created.run_id}`);
      }
    } catch (failure) {
      setSubmitError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <PageHeader
        title={sourceRecurring ? "Clone recurring run" : source ? "Clone run" : recurring ? "Create recurring run" : "Create run"}
        crumbs={[{ href: "/runs", label: "Runs" }]}
      />
      <form class="form wide" onSubmit={submit} noValidate>
        <fieldset>
          <legend>Pipeline</legend>
          {pipelines.error ? <ErrorBox message={pipelines.error} onRetry={pipelines.reload} /> : null}
          {inlineSpec ? (
            <p class="muted">Runs the same pipeline spec as the cloned run ({spec?.pipelineInfo?.name ?? "inline"}).</p>
          ) : (
            <div class="form-row">
              <label>
                Pipeline
                <select value={pipelineId} required onChange={(event) => { setPipelineId(event.currentTarget.value); setVersionId(""); setTexts({}); }}>
                  <option value="" disabled>
                    {pipelines.data?.items.length === 0 ? "No pipelines: upload one first" : "Choose a pipeline"}
                  </option>
                  {pipelines.data?.items.map((item) => (
                    <option key={item.pipeline_id} value={item.pipeline_id}>
                      {item.display_name || item.name}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Version
                <select value={versionId} disabled={!versions.data || (recurring && latest)} onChange={(event) => setVersionId(event.currentTarget.value)}>
                  {versions.data?.items.map((item) => (
                    <option key={item.pipeline_version_id} value={item.pipeline_version_id}>
                      {item.display_name || item.name}
                    </option>
                  ))}
                </select>
              </label>
            </div>
          )}
        </fieldset>
        <fieldset>
          <legend>Run</legend>
          <div class="form-row">
            <label>
              Name
              <input type="text" value={name} placeholder={`${pipelineName ?? "pipeline"} + the time`} onInput={(event) => setName(event.currentTarget.value)} />
            </label>
            <label>
              Experiment
              <select value={experimentId} onChange={(event) => setExperimentId(event.currentTarget.value)}>
                {experiments.data?.items.map((item) => (
                  <option key={item.experiment_id} value={item.experiment_id}>
                    {item.display_name}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <label>
            Description
            <textarea rows={2} value={description} onInput={(event) => setDescription(event.currentTarget.value)} />
          </label>
          {!recurring && (profiles.data?.profiles.length ?? 0) > 1 ? (
            <label>
              Execution profile
              <select value={profile} onChange={(event) => setProfile(event.currentTarget.value)}>
                {profiles.data?.profiles.map((item) => (
                  <option key={item.name} value={item.name === profiles.data?.default ? "" : item.name} title={item.description}>
                    {item.name}
                    {item.name === profiles.data?.default ? " (default)" : ""}
                    {item.sandboxed ? ` — sandboxed, network ${item.network}` : " — runs on the host"}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <div class="radio-row" role="radiogroup" aria-label="Run type">
            <label class="checkbox">
              <input type="radio" name="run-type" checked={!recurring} onChange={() => setRecurring(false)} /> One-off
            </label>
            <label class="checkbox">
              <input type="radio" name="run-type" checked={recurring} onChange={() => setRecurring(true)} /> Recurring
            </label>
          </div>
          {recurring && pipelineId && !inlineSpec ? (
            <label class="checkbox">
              <input type="checkbox" checked={latest} onChange={(event) => setLatest(event.currentTarget.checked)} /> Always use the latest
              version of the pipeline (each run takes the newest version when it starts)
            </label>
          ) : null}
          {recurring ? <ScheduleFields schedule={schedule} onChange={setSchedule} /> : null}
          <label>
            Pipeline root
            <input
              type="text"
              class="mono"
              value={pipelineRoot}
              placeholder="the server's artifact root"
              aria-describedby="pipeline-root-help"
              onInput={(event) => setPipelineRoot(event.currentTarget.value)}
            />
            <span id="pipeline-root-help" class="muted">
              Where the run's outputs go: a folder or URI under the artifact root (empty: the default).
            </span>
          </label>
        </fieldset>
        <fieldset>
          <legend>Parameters</legend>
          {version.loading && pipelineId ? <Loading what="Loading the parameters" /> : null}
          {version.error ? <ErrorBox message={version.error} /> : null}
          {spec && fields.length === 0 ? <p class="muted">This pipeline takes no parameters.</p> : null}
          {fields.map((field) => (
            <ParameterInput
              key={field.name}
              field={field}
              text={textOf(field)}
              showError={touched.has(field.name)}
              onInput={(text) => setTexts((current) => ({ ...current, [field.name]: text }))}
              onBlur={() => setTouched((current) => new Set(current).add(field.name))}
            />
          ))}
        </fieldset>
        {submitError ? <ErrorBox title="Not started." message={submitError} /> : null}
        <div class="form-actions">
          <button type="button" onClick={() => history.back()}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy || !spec}>
            {busy ? "Starting…" : recurring ? "Create recurring run" : "Start run"}
          </button>
        </div>
      </form>
    </section>
  );
}

function ParameterInput({
  field,
  text,
  showError,
  onInput,
  onBlur,
}: {
  field: ParameterField;
  text: string;
  showError: boolean;
  onInput: (text: string) => void;
  onBlur: () => void;
}) {
  const parsed = parseParameter(field, text);
  const error = showError && !parsed.ok ? parsed.error : undefined;
  const id = `parameter-${field.name}`;
  const label = (
    <span>
      {field.name} <span class="type-tag">{TYPE_LABELS[field.type] ?? field.type}</span>
      {field.required ? <span class="required"> required</span> : null}
    </span>
  );
  if (field.type === "BOOLEAN") {
    return (
      <label class="checkbox parameter">
        <input id={id} name={field.name} type="checkbox" checked={text === "true"} onChange={(event) => onInput(String(event.currentTarget.checked))} />{" "}
        {label}
      </label>
    );
  }
  const multiline = field.type === "LIST" || field.type === "STRUCT";
  const common = {
    id,
    name: field.name,
    value: text,
    "aria-invalid": Boolean(error),
    "aria-describedby": error ? `${id}-error` : undefined,
    class: error ? "invalid" : "",
    onBlur,
  };
  return (
    <div class="parameter">
      <label for={id}>{label}</label>
      {field.description ? <div class="muted">{field.description}</div> : null}
      {multiline ? (
        <textarea rows={2} {...common} onInput={(event) => onInput(event.currentTarget.value)} />
      ) : (
        <input
          type="text"
          inputMode={field.type === "NUMBER_INTEGER" ? "numeric" : field.type === "NUMBER_DOUBLE" ? "decimal" : "text"}
          {...common}
          onInput={(event) => onInput(event.currentTarget.value)}
        />
      )}
      {error ? (
        <div id={`${id}-error`} class="field-error">
          {error}
        </div>
      ) : null}
    </div>
  );
}

function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? "";
}

interface ScheduleState {
  kind: "periodic" | "cron";
  every: string;
  unit: number;
  cron: string;
  timeZone: string;
  maxConcurrency: string;
  catchup: boolean;
}

/** The API's trigger, or what is wrong with the schedule. */
function triggerOf(schedule: ScheduleState): Trigger | string {
  if (schedule.kind === "cron") {
    if (!schedule.cron.trim()) return "Give a cron expression.";
    const cron_schedule: NonNullable<Trigger["cron_schedule"]> = { cron: schedule.cron.trim() };
    if (schedule.timeZone.trim()) cron_schedule.time_zone = schedule.timeZone.trim();
    return { cron_schedule };
  }
  const every = Number(schedule.every);
  if (!Number.isInteger(every) || every < 1) return "Repeat every: give a whole number of at least 1.";
  return { periodic_schedule: { interval_second: String(every * schedule.unit) } };
}

function ScheduleFields({ schedule, onChange }: { schedule: ScheduleState; onChange: (schedule: ScheduleState) => void }) {
  const set = (change: Partial<ScheduleState>) => onChange({ ...schedule, ...change });
  return (
    <div class="schedule">
      <div class="radio-row" role="radiogroup" aria-label="Trigger">
        <label class="checkbox">
          <input type="radio" name="trigger" checked={schedule.kind === "periodic"} onChange={() => set({ kind: "periodic" })} /> Every…
        </label>
        <label class="checkbox">
          <input type="radio" name="trigger" checked={schedule.kind === "cron"} onChange={() => set({ kind: "cron" })} /> Cron
        </label>
      </div>
      {schedule.kind === "periodic" ? (
        <div class="form-row">
          <label>
            Repeat every
            <input type="text" inputMode="numeric" value={schedule.every} onInput={(event) => set({ every: event.currentTarget.value })} />
          </label>
          <label>
            Unit
            <select value={schedule.unit} onChange={(event) => set({ unit: Number(event.currentTarget.value) })}>
              {INTERVAL_UNITS.map(([label, seconds]) => (
                <option key={seconds} value={seconds}>
                  {label}
                </option>
              ))}
            </select>
          </label>
        </div>
      ) : (
        <div class="form-row">
          <label>
            Cron expression (seconds first, as in KFP; or the classic five fields)
            <input type="text" class="mono" value={schedule.cron} onInput={(event) => set({ cron: event.currentTarget.value })} />
          </label>
          <label>
            Time zone
            <input type="text" value={schedule.timeZone} placeholder="UTC" onInput={(event) => set({ timeZone: event.currentTarget.value })} />
          </label>
        </div>
      )}
      <div class="form-row">
        <label>
          Maximum concurrent runs
          <input type="text" inputMode="numeric" value={schedule.maxConcurrency} onInput={(event) => set({ maxConcurrency: event.currentTarget.value })} />
        </label>
        <label class="checkbox">
          <input type="checkbox" checked={schedule.catchup} onChange={(event) => set({ catchup: event.currentTarget.checked })} /> Catch up on
          missed runs
        </label>
      </div>
    </div>
  );
}
