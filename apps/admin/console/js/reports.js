/*
 * Service level and repeat-contact rate over time, one series per line, from GET /v1/reports/lines (its buckets,
 * every page). A row is a line's channel in a bucket: channels are added up the way the report counts them
 * (service level: answered within target of answered + abandoned; repeats: of the eligible contacts).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';
import { errorText, request } from './api.js';

const BUCKETS = { '15m': 15 * 60_000, day: 86_400_000, week: 7 * 86_400_000 };
const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#be185d', '#4b5563'];
const MAX_PAGES = 20;

const isoDate = (date) => date.toISOString().slice(0, 10);

/** Every page of the report. */
async function readReport(token, query) {
  const rows = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const params = new URLSearchParams({ ...query, page: String(page), pageSize: '1000' });
    const answer = await request('GET', `/v1/reports/lines?${params}`, { token });
    if (!answer.ok) throw new Error(errorText(answer));
    rows.push(...answer.body.rows);
    if (answer.body.nextPage === null) break;
  }
  return rows;
}

/** rows → { times (s), lines, serviceLevel[line][i], repeatRate[line][i] } over every bucket of the range */
export function seriesOf(rows, from, to, bucket) {
  const step = BUCKETS[bucket];
  const starts = [];
  const first = Math.min(from.getTime(), ...rows.map((r) => Date.parse(r.bucket)));
  for (let t = first; t < to.getTime(); t += step) starts.push(t);
  const index = new Map(starts.map((t, i) => [t, i]));
  const lines = [...new Set(rows.map((r) => r.line))].sort();
  const sums = Object.fromEntries(
    lines.map((line) => [
      line,
      starts.map(() => ({ within: 0, answered: 0, abandoned: 0, repeats: 0, eligible: 0 })),
    ]),
  );
  for (const row of rows) {
    const i = index.get(Date.parse(row.bucket));
    if (i === undefined) continue;
    const sum = sums[row.line][i];
    sum.within += row.answeredWithinTarget;
    sum.answered += row.answered;
    sum.abandoned += row.abandoned;
    sum.repeats += row.repeats;
    sum.eligible += row.repeatEligible;
  }
  const percent = (part, whole) => (whole > 0 ? Math.round((1000 * part) / whole) / 10 : null);
  return {
    times: starts.map((t) => t / 1000),
    lines,
    serviceLevel: lines.map((line) => sums[line].map((s) => percent(s.within, s.answered + s.abandoned))),
    repeatRate: lines.map((line) => sums[line].map((s) => percent(s.repeats, s.eligible))),
  };
}

function Chart({ title, times, lines, values, testId }) {
  const box = useRef(null);
  useEffect(() => {
    if (!box.current) return undefined;
    const width = Math.max(320, box.current.clientWidth || 640);
    const plot = new uPlot(
      {
        title,
        width,
        height: 260,
        scales: { y: { range: [0, 100] } },
        series: [
          {},
          ...lines.map((line, i) => ({
            label: line,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            spanGaps: false,
            // a bucket with figures between empty ones is a point, not a line: draw it
            points: { show: true, size: 6 },
            value: (_, v) => (v === null || v === undefined ? '—' : `${v}%`),
          })),
        ],
        axes: [{}, { values: (_, ticks) => ticks.map((t) => `${t}%`) }],
      },
      [times, ...values],
      box.current,
    );
    return () => plot.destroy();
  }, [title, times, lines, values]);
  const points = values.reduce((sum, series) => sum + series.filter((v) => v !== null).length, 0);
  return html`<div
    class="chart"
    data-testid=${testId}
    data-series=${lines.join(',')}
    data-points=${points}
    ref=${box}
  ></div>`;
}

export function Reports({ token }) {
  const today = new Date();
  const [from, setFrom] = useState(isoDate(new Date(today.getTime() - 6 * 86_400_000)));
  const [to, setTo] = useState(isoDate(new Date(today.getTime() + 86_400_000)));
  const [bucket, setBucket] = useState('day');
  const [line, setLine] = useState('');
  const [data, setData] = useState(null);
  const [status, setStatus] = useState('');

  const load = async (event) => {
    event?.preventDefault();
    const start = new Date(`${from}T00:00:00Z`);
    const end = new Date(`${to}T00:00:00Z`);
    setStatus('loading…');
    try {
      const rows = await readReport(token, {
        from: start.toISOString(),
        to: end.toISOString(),
        bucket,
        ...(line ? { line } : {}),
      });
      setData(seriesOf(rows, start, end, bucket));
      setStatus(`${rows.length} rows`);
    } catch (error) {
      setData(null);
      setStatus(error.message);
    }
  };
  useEffect(() => {
    void load();
  }, [token]);

  return html`<section class="reports" data-testid="reports">
    <form class="bar" onSubmit=${load}>
      <label
        >From
        <input
          type="date"
          data-testid="reports-from"
          value=${from}
          onInput=${(e) => setFrom(e.currentTarget.value)}
      /></label>
      <label
        >To (exclusive)
        <input
          type="date"
          data-testid="reports-to"
          value=${to}
          onInput=${(e) => setTo(e.currentTarget.value)}
      /></label>
      <label
        >Bucket
        <select value=${bucket} onChange=${(e) => setBucket(e.currentTarget.value)}>
          ${Object.keys(BUCKETS).map((b) => html`<option value=${b}>${b}</option>`)}
        </select></label
      >
      <label
        >Line <input placeholder="all" value=${line} onInput=${(e) => setLine(e.currentTarget.value.trim())}
      /></label>
      <button type="submit" data-testid="reports-load">Show</button>
      <span class="muted" data-testid="reports-status">${status}</span>
    </form>
    ${data && data.lines.length === 0 ? html`<p class="muted">No contacts in this range.</p>` : null}
    ${
      data && data.lines.length > 0
        ? html`<${Chart}
              title="Service level (%)"
              testId="chart-service-level"
              times=${data.times}
              lines=${data.lines}
              values=${data.serviceLevel}
            />
            <${Chart}
              title="Repeat-contact rate (%)"
              testId="chart-repeat-rate"
              times=${data.times}
              lines=${data.lines}
              values=${data.repeatRate}
            />`
        : null
    }
  </section>`;
}
