// tunecase serve's live page: polls GET /v1/dashboard and draws what it says. No framework;
// Chart.js (embedded from Debian's libjs-chart.js) draws the charts. Every figure the page shows
// comes from the JSON as it is (docs/dashboard.md); the page computes only shares and formats.
(function () {
  'use strict';
  // ?poll_ms=N polls faster or slower (the browser test uses 200); never below 100 ms.
  const POLL_MS = Math.max(100, Number(new URLSearchParams(location.search).get('poll_ms')) || 2000);
  const DAY_MS = 86400000;
  // The static reports' palette (report/svg_chart.cpp, Okabe-Ito: safe for colour-blind readers).
  const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000',
    '#882255', '#332288', '#999933', '#44AA99', '#AA4499'];
  // A long approach name in a legend or a marker: its start and an ellipsis, not a clipped middle.
  const short = t => t.length > 40 ? t.slice(0, 39) + '…' : t;
  // What a test (or a curious person in the console) can read: updates drawn, errors seen, charts.
  const state = window.tunecase = { updates: 0, errors: [], charts: {}, data: null };
  window.addEventListener('error', e => state.errors.push(String(e.message || e)));
  window.addEventListener('unhandledrejection', e => state.errors.push(String(e.reason)));

  const $ = id => document.getElementById(id);
  const esc = s => String(s).replace(/[&<>"']/g,
    c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const isNum = x => typeof x === 'number' && isFinite(x);
  const pct = (x, d = 1) => isNum(x) ? (100 * x).toFixed(d) + '%' : '–';
  const points = x => isNum(x) ? (x >= 0 ? '+' : '') + (100 * x).toFixed(1) + ' pts' : '–';
  const ms = x => isNum(x) ? (x < 10 ? x.toFixed(2) : x.toFixed(0)) + ' ms' : '–';
  const usd = x => {
    if (!isNum(x)) return '–';
    // Under a dollar, three significant digits, as `tunecase pilot` prints $ per 1k (cents had
    // cut $0.0172 to $0.02).
    if (x !== 0 && Math.abs(x) < 1) return '$' + x.toPrecision(3);
    return '$' + x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  };
  const int = x => isNum(x) ? x.toLocaleString('en-US') : '–';
  const date = t => new Date(t).toISOString().slice(0, 10);
  const sim = basis => basis === 'simulated' ? '<span class="badge sim">simulated</span>' : '';

  let token = sessionStorage.getItem('tunecase.token') || '';
  let pollTimer = null;
  // A bearer token is visible ASCII; anything else (a dash a word processor put in) cannot be
  // sent in a header at all, and fetch would throw as if the gateway were down.
  const tokenProblem = t => /^[\x21-\x7e]*$/.test(t) ? '' :
    'That token holds a character a token cannot have (a typographic dash or quote, a space?): paste it again.';

  async function poll() {
    clearTimeout(pollTimer);
    if (token && tokenProblem(token)) return askToken(tokenProblem(token));
    try {
      const headers = token ? { Authorization: 'Bearer ' + token } : {};
      const r = await fetch('/v1/dashboard', { headers, cache: 'no-store' });
      if (r.status === 401) return askToken(token ? 'That token was refused.' : '');
      if (!r.ok) throw new Error('GET /v1/dashboard answered ' + r.status);
      const data = await r.json();
      $('auth').hidden = true;
      $('main').hidden = false;
      render(data);
      state.data = data;
      state.updates++;
      setStatus('updated ' + new Date().toLocaleTimeString() + ' · every ' + POLL_MS / 1000 + ' s', false);
    } catch (e) {
      setStatus('cannot reach the gateway (' + e.message + '); retrying', true);
    }
    pollTimer = setTimeout(poll, POLL_MS);
  }

  function setStatus(text, bad) {
    $('status').textContent = text;
    $('status').className = bad ? 'bad' : '';
  }

  function askToken(message) {
    $('main').hidden = true;
    $('auth').hidden = false;
    $('auth-error').textContent = message;
    setStatus('waiting for the token', false);
  }
  // The memo and the operation plan carry the business case, and the routes the footer links
  // need the token too: with one, a plain link would be refused (401), so the page fetches them
  // with the token and opens what it got, as the gateway typed it.
  document.addEventListener('click', async e => {
    const link = e.target.closest && e.target.closest('a[data-guarded]');
    if (!link || !token) return;
    e.preventDefault();
    const opened = window.open('', '_blank');
    const r = await fetch(link.getAttribute('href'), { headers: { Authorization: 'Bearer ' + token } });
    const body = r.ok ? await r.text() : '<p>The gateway answered ' + r.status + '.</p>';
    const type = r.ok ? (r.headers.get('content-type') || 'text/plain') : 'text/html';
    const url = URL.createObjectURL(new Blob([body], { type }));
    if (opened) opened.location = url; else window.location = url;
  });
  $('auth-form').addEventListener('submit', e => {
    e.preventDefault();
    token = $('auth-token').value.trim();
    sessionStorage.setItem('tunecase.token', token);
    $('auth-token').value = '';
    poll();
  });

  function render(d) {
    renderTiles(d);
    renderPilot(d.pilot);
    renderCharts(d);
    renderWatch(d);
    renderContext(d);
  }

  // ---- Now ----------------------------------------------------------------------------------
  function renderTiles(d) {
    const arms = d.pilot.arms || [];
    const total = arms.reduce((s, a) => s + (a.requests || 0), 0);
    const today = Math.floor(d.now_ms / DAY_MS);
    $('now-note').textContent = 'since the pilot started, ' + date(d.pilot.started_at_ms) +
      ' · mode ' + d.pilot.mode;
    $('tiles').innerHTML = arms.map(a => {
      const row = d.days.find(r => r.day === today && r.approach === a.approach);
      const ci = a.accuracy_ci95 && a.labelled > 0 ? pct(a.accuracy_ci95[0]) + '–' + pct(a.accuracy_ci95[1]) : 'no labels yet';
      // In shadow mode the champion answers every request and the shadow arm none.
      const share = d.pilot.mode === 'shadow' ? (a.role === 'shadow' || a.arm === 'shadow' ? 'none (shadow)' : pct(1))
        : total ? pct(a.requests / total) : '–';
      const colour = colourOf(d, a.approach);
      return `<div class="tile ${esc(a.role)}" data-approach="${esc(a.approach)}" data-role="${esc(a.role)}"${colour ? ` style="border-top-color:${colour}"` : ''}>
        <div class="name">${esc(a.approach)}<span class="badge role">${esc(a.role)}</span>${sim(a.basis)}</div>
        <p class="big" data-field="accuracy" data-value="${isNum(a.accuracy) ? a.accuracy : ''}">${pct(a.accuracy)}</p>
        <div class="muted">accuracy, 95% interval ${ci}</div>
        <dl>
          <dt>labelled</dt><dd data-field="labelled">${int(a.labelled)}</dd>
          <dt>requests</dt><dd data-field="requests">${int(a.requests)}</dd>
          <dt>traffic share</dt><dd data-field="share">${share}</dd>
          <dt>latency p95</dt><dd data-field="p95">${a.requests > 0 ? ms(a.latency_ms && a.latency_ms.p95) : '–'}</dd>
          <dt>$ per 1k</dt><dd data-field="usd_per_1k">${usd(a.usd_per_1k)}</dd>
          <dt>$ today</dt><dd data-field="usd_today">${row && row.cost_unknown ? (isNum(row.cost_estimated_usd) ? `${usd(row.cost_estimated_usd)} <span class="muted">estimated: ${int(row.cost_unknown)} without usage</span>` : `unknown <span class="muted">${int(row.cost_unknown)} without usage</span>`) : usd(row ? row.cost_usd : null)}</dd>
          <dt>errors · time-outs</dt><dd data-field="errors">${int(a.errors)} · ${int(a.timeouts)}</dd>
          <dt>fallbacks</dt><dd data-field="fallbacks">${int(a.fallbacks)}</dd>
        </dl></div>`;
    }).join('');
  }

  // ---- The pilot ----------------------------------------------------------------------------
  const VERDICT_CLASS = { 'clear win': 'win', worse: 'worse', marginal: 'marginal', collecting: 'collecting', blocked: 'blocked' };
  function renderPilot(p) {
    const v = p.verdict || {};
    $('verdict').innerHTML = `<div class="verdict ${VERDICT_CLASS[v.outcome] || ''}" data-field="verdict">${esc(v.outcome || '–')}</div>
      <ul class="reasons">${(v.reasons || []).map(r => '<li>' + esc(r) + '</li>').join('')}</ul>
      ${v.unrepresentative ? '<p class="warn">The labelled items so far do not represent the traffic; see the reasons.</p>' : ''}`;
    const plan = p.plan;
    if (!plan) {
      $('progress').innerHTML = '';
      $('difference').innerHTML = '';
      $('patterns').innerHTML = '';
      return;
    }
    // Days to one decimal, as the verdict says them: 6.6 days had read "7 of 7" beside a verdict
    // still waiting for the end of the plan.
    const bar = (label, have, want, decimals = 0) => {
      const share = want > 0 ? Math.min(1, have / want) : 0;
      // Rounded down, as the verdict counts days: 1.98 of 2 is not "2.0 of 2".
      const down = x => Math.floor(x * 10 ** decimals) / 10 ** decimals;
      const count = x => decimals ? (isNum(x) ? down(x).toFixed(decimals) : '–') : int(Math.round(x));
      return `<div>${esc(label)}: ${count(have)} of ${count(want)}</div>
        <div class="bar" role="progressbar" aria-valuenow="${(100 * share).toFixed(0)}"><span style="width:${(100 * share).toFixed(1)}%"></span></div>`;
    };
    $('progress').innerHTML = '<h3>Progress against the plan</h3>' +
      bar('labelled, champion', plan.labelled_champion, plan.labelled_planned_per_arm) +
      bar('labelled, challenger', plan.labelled_challenger, plan.labelled_planned_per_arm) +
      bar('days', plan.days_elapsed, plan.days_planned, 1);
    const diff = p.difference || {};
    const srm = p.sample_ratio;
    const av = diff.always_valid_interval;
    $('difference').innerHTML = `<h3>Challenger minus champion</h3>
      <p>accuracy gain <b data-field="gain">${points(diff.accuracy_gain)}</b>
      ${av ? '(always-valid 95% interval ' + points(av[0]) + ' to ' + points(av[1]) + ')' : ''}
      ${diff.test ? '<br>' + esc(diff.test.name) + ', p = ' + (isNum(diff.test.p_value) ? diff.test.p_value.toPrecision(2) : '–') : ''}</p>
      <p>sample ratio: ${srm ? (srm.mismatch ? '<span class="bad">mismatch</span>' : '<span class="good">as planned</span>') +
        ' (planned share ' + pct(srm.planned_share) + ', p = ' + srm.p_value.toPrecision(2) + ')'
        : p.mode === 'split' ? 'not checked yet (no requests)' : 'not checked in this mode'}</p>`;
    renderPatterns(p.error_patterns);
  }

  function renderPatterns(ep) {
    if (!ep) { $('patterns').innerHTML = ''; return; }
    // A segment's own difference where the report gives one (in shadow mode, of its pairs).
    const gap = r => isNum(r.difference) ? r.difference
      : (isNum(r.challenger.accuracy) && isNum(r.champion.accuracy))
        ? r.challenger.accuracy - r.champion.accuracy : null;
    // Rows with enough labelled items on both arms first (a difference on one item is +/-100
    // points of noise, and had pushed the real segments off the table), each group by size of
    // difference; the others are marked.
    const rows = list => list.filter(r => gap(r) !== null)
      .sort((a, b) => (b.enough_labelled === true) - (a.enough_labelled === true) ||
        Math.abs(gap(b)) - Math.abs(gap(a))).slice(0, 6);
    const table = (title, key, list) => !list.length ? '' : `<div><h3>${title}</h3><div class="table-wrap"><table>
      <thead><tr><th>${key}</th><th class="num">champion</th><th class="num">challenger</th><th class="num">difference</th></tr></thead>
      <tbody>${list.map(r => `<tr><td>${esc(r[key] || '(none)')}</td>
        <td class="num">${pct(r.champion.accuracy)} <span class="muted">n=${int(r.champion.labelled)}</span></td>
        <td class="num">${pct(r.challenger.accuracy)} <span class="muted">n=${int(r.challenger.labelled)}</span></td>
        <td class="num ${gap(r) < 0 ? 'bad' : 'good'}">${points(gap(r))}${r.enough_labelled ? '' : ' <span class="muted">few labelled</span>'}${r.challenger_significantly_worse ? ' <span class="bad">significantly worse</span>' : ''}</td></tr>`).join('')}</tbody></table></div></div>`;
    $('patterns').innerHTML = '<div class="grid2">' +
      table('Labels where the arms differ most', 'label', rows(ep.per_label || [])) +
      table('Segments where the arms differ most', 'segment', rows(ep.per_segment || [])) + '</div>';
  }

  // ---- Over time ----------------------------------------------------------------------------
  // Marks the model registry's promotions on a chart: a dashed vertical line at their day
  // (vermilion for a rollback).
  const eventMarks = {
    id: 'tunecaseEvents',
    afterDatasetsDraw(chart) {
      const events = (chart.options.plugins.tunecaseEvents || {}).events || [];
      const { ctx, chartArea, scales } = chart;
      ctx.save();
      ctx.strokeStyle = '#6b7280';
      ctx.fillStyle = '#374151';
      ctx.setLineDash([4, 3]);
      ctx.font = '11px system-ui, sans-serif';
      // Each event is a dashed line and a small numbered disc at its top; the list under the
      // charts (#events-note) says what each number is. A disc that would touch an earlier one
      // goes a row lower. Text labels on pale boxes had covered the accuracy line and the floor
      // around a promotion, the days a reader looks at. The discs drawn are kept on the chart
      // (tunecaseEventLabels) for the browser test.
      const rowsEnd = [], placed = [];
      const radius = 7, maxRows = 3;
      let unlabelled = 0;
      const sorted = events.map(e => ({ e, x: scales.x.getPixelForValue(e.index) }))
        .filter(p => isFinite(p.x)).sort((a, b) => a.x - b.x);
      for (const { e, x } of sorted) {
        ctx.strokeStyle = e.rollback ? '#d55e00' : '#6b7280';
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        // The disc stays inside the chart: one on its first or last day is set in from the edge.
        const cx = Math.min(Math.max(x, chartArea.left + radius), chartArea.right - radius);
        const left = cx - radius;
        let row = rowsEnd.findIndex(end => end + 2 <= left);
        if (row < 0 && rowsEnd.length < maxRows) row = rowsEnd.push(-Infinity) - 1;
        if (row < 0) { unlabelled++; continue; }
        rowsEnd[row] = cx + radius;
        const cy = chartArea.top + radius + 1 + (2 * radius + 2) * row;
        ctx.setLineDash([]);
        ctx.beginPath();
        ctx.arc(cx, cy, radius, 0, 2 * Math.PI);
        ctx.fillStyle = e.rollback ? '#d55e00' : '#4b5563';
        ctx.fill();
        ctx.fillStyle = '#fff';
        ctx.font = 'bold 9px system-ui, sans-serif';
        ctx.textAlign = 'center';
        ctx.textBaseline = 'middle';
        ctx.fillText(String(e.number), cx, cy + 0.5);
        placed.push({ text: e.text, number: e.number, left: cx - radius, right: cx + radius,
                      top: cy - radius, bottom: cy + radius });
      }
      ctx.textAlign = 'left';
      ctx.textBaseline = 'alphabetic';
      ctx.font = '11px system-ui, sans-serif';
      // Lines past the rows of discs have none; the list under the charts names every event
      // (a "+N more" note drawn in the plot had covered the data and the lines).
      chart.tunecaseWithoutDisc = unlabelled;
      chart.tunecaseEventLabels = placed;
      // A chart with no point of its own says why, not bare axes: no request yet, or no label.
      const empty = (chart.options.plugins.tunecaseEvents || {}).empty;
      const anyPoint = chart.data.datasets.some(ds => !ds.tunecaseBand && !ds.tunecaseExtra &&
        (ds.data || []).some(v => v !== null && v !== undefined && isFinite(v)));
      if (empty && !anyPoint) {
        // Inside the plot, on two lines when one does not fit, in a smaller type when needed (a
        // long message had run past the plot and over the axis' ticks).
        ctx.setLineDash([]);
        ctx.fillStyle = '#6b7280';
        ctx.textAlign = 'center';
        const room = chartArea.right - chartArea.left - 12;
        const cut = empty.indexOf(': ');
        const lines = cut > 0 ? [empty.slice(0, cut + 1), empty.slice(cut + 2)] : [empty];
        let size = 13;
        ctx.font = `${size}px system-ui, sans-serif`;
        while (size > 8 && Math.max(...lines.map(l => ctx.measureText(l).width)) > room) {
          size -= 1;
          ctx.font = `${size}px system-ui, sans-serif`;
        }
        const mid = (chartArea.top + chartArea.bottom) / 2;
        lines.forEach((l, i) => ctx.fillText(l, (chartArea.left + chartArea.right) / 2,
                                             mid + (i - (lines.length - 1) / 2) * (size + 3)));
      }
      chart.tunecaseEmpty = empty && !anyPoint ? empty : '';
      ctx.restore();
    }
  };

  function dayAxis(d) {
    if (!d.days.length) return { first: 0, labels: [] };
    const first = Math.min(...d.days.map(r => r.day));
    // The axis reaches today unless the data ends long before it (a replayed store).
    const lastData = Math.max(...d.days.map(r => r.day));
    const today = Math.floor(d.now_ms / DAY_MS);
    const last = today - lastData <= 14 ? Math.max(today, lastData) : lastData;
    const labels = [];
    for (let day = first; day <= last; day++) labels.push(date(day * DAY_MS));
    return { first, labels };
  }

  // The memo's colour for an approach it names (its order in decision.json), else by its place
  // among the approaches of the charts: the tiles and the charts agree.
  function colourOf(d, name) {
    const approaches = [...new Set(d.days.map(r => r.approach))].sort();
    const k = (d.colour_order || []).indexOf(name);
    const at = k >= 0 ? k : approaches.indexOf(name);
    return at >= 0 ? COLOURS[at % COLOURS.length] : null;
  }

  function series(d, axis, field) {
    const approaches = [...new Set(d.days.map(r => r.approach))].sort();
    return approaches.map(name => {
      const values = axis.labels.map(() => null);
      for (const r of d.days) if (r.approach === name) values[r.day - axis.first] = field(r);
      const simulated = d.days.some(r => r.approach === name && r.basis === 'simulated');
      return { name: name + (simulated ? ' (simulated)' : ''), values, colour: colourOf(d, name) };
    });
  }

  function lineChart(id, axis, lines, extra, yOptions, events, empty) {
    const datasets = [];
    lines.forEach((l, i) => {
      const colour = l.colour || COLOURS[i % COLOURS.length];
      datasets.push({ label: l.name, data: l.values, borderColor: colour, backgroundColor: colour,
                      pointRadius: axis.labels.length > 60 ? 0 : 2, borderWidth: 2, spanGaps: false,
                      tension: 0 });
      for (const band of (l.bands || []))
        datasets.push(Object.assign({ borderWidth: 0, pointRadius: 0, backgroundColor: colour + '26',
                                      tunecaseBand: true }, band));
    });
    datasets.push(...extra.map(x => Object.assign({ tunecaseExtra: true }, x)));
    let chart = state.charts[id];
    const canvas = $(id);
    canvas.dataset.series = String(lines.length);
    if (chart) {
      chart.data.labels = axis.labels;
      chart.data.datasets = datasets;
      chart.options.plugins.tunecaseEvents.events = events;
      chart.options.plugins.tunecaseEvents.empty = empty;
      chart.update('none');
      return;
    }
    state.charts[id] = new Chart(canvas, {
      type: 'line',
      data: { labels: axis.labels, datasets },
      plugins: [eventMarks],
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, normalized: true,
        interaction: { mode: 'index', intersect: false },
        scales: { x: { ticks: { maxTicksLimit: 8, autoSkip: true } }, y: yOptions },
        plugins: {
          legend: { labels: { boxWidth: 12, filter: (item, data) => !data.datasets[item.datasetIndex].tunecaseBand,
            generateLabels: chart => Chart.defaults.plugins.legend.labels.generateLabels(chart)
              .map(l => Object.assign(l, { text: short(String(l.text)) })) } },
          tunecaseEvents: { events, empty }
        }
      }
    });
  }

  function renderCharts(d) {
    const axis = dayAxis(d);
    const events = (d.events || []).map(e => ({
      index: Math.floor(e.at_ms / DAY_MS) - axis.first,
      text: (e.kind === 'rollback' ? 'rolled back to ' : 'promoted ') + short(e.approach) + ' ' + e.version.slice(0, 8),
      day: date(e.at_ms),
      rollback: e.kind === 'rollback'
    })).filter(e => e.index >= 0 && e.index < axis.labels.length);
    events.forEach((e, i) => { e.number = i + 1; });
    const note = $('events-note');
    if (note) note.textContent = events.length
      ? 'Model events on the charts (dashed lines; the first ones numbered on a disc): ' +
        events.map(e => `(${e.number}) ${e.text}, ${e.day}`).join(' · ')
      : '';
    const acc = series(d, axis, r => r.accuracy);
    acc.forEach((l, i) => {
      const name = [...new Set(d.days.map(r => r.approach))].sort()[i];
      const lo = axis.labels.map(() => null), hi = axis.labels.map(() => null);
      for (const r of d.days) if (r.approach === name && r.accuracy_ci95) {
        lo[r.day - axis.first] = r.accuracy_ci95[0];
        hi[r.day - axis.first] = r.accuracy_ci95[1];
      }
      l.bands = [{ label: l.name + ' band low', data: lo, fill: false },
                 { label: l.name + ' band high', data: hi, fill: '-1' }];
    });
    const floor = [];
    // The floor the latest `tunecase monitor` run judged by (its alerts are those on the page),
    // else the gateway's own config's.
    const floorAt = d.monitoring && isNum(d.monitoring.accuracy_floor) ? d.monitoring.accuracy_floor : d.accuracy_floor;
    if (isNum(floorAt)) {
      floor.push({ label: 'alert floor ' + pct(floorAt, 0), data: axis.labels.map(() => floorAt),
                   borderColor: '#b42318', borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, fill: false });
      $('floor-note').textContent = ' · the dashed line is the alert floor';
    }
    const anyRequest = d.days.some(r => r.requests > 0);
    const noRequest = 'no request yet: the chart fills as traffic arrives';
    lineChart('chart-accuracy', axis, acc, floor, { min: 0, max: 1, ticks: { callback: v => pct(v, 0) } }, events,
      anyRequest ? 'no labelled request yet: accuracy shows once feedback arrives' : noRequest);
    lineChart('chart-latency', axis, series(d, axis, r => r.latency_p95_ms), [], { beginAtZero: true }, events,
      anyRequest ? 'no answered request yet' : noRequest);
    lineChart('chart-cost', axis, series(d, axis, r => r.cost_unknown ? r.cost_estimated_usd : r.cost_usd), [], { beginAtZero: true }, events,
      anyRequest ? 'no per-request cost: a local model\'s hosting is a monthly figure' : noRequest);
  }

  // ---- Watch --------------------------------------------------------------------------------
  // An alert message that starts with its approach ("local-linear: ...", "gpt (simulated): ...").
  const namesItsApproach = a => String(a.message).startsWith(a.approach) &&
    /^[:( ]/.test(String(a.message).slice(a.approach.length));
  function renderWatch(d) {
    $('alerts').innerHTML = d.alerts.length
      // A message that already starts with its approach is not prefixed with it again.
      ? '<ul>' + d.alerts.map(a => `<li class="bad"><b>${esc(a.kind)}</b>${a.approach && !namesItsApproach(a) ? ' ' + esc(a.approach) : ''}: ${esc(a.message)}
          <span class="muted">since ${new Date(a.fired_at_ms).toISOString().slice(0, 16).replace('T', ' ')} UTC</span></li>`).join('') + '</ul>'
      : '<p class="good">none open</p>';
    $('models').innerHTML = d.models.length
      ? `<div class="table-wrap"><table><thead><tr><th>approach</th><th>version</th><th>status</th><th>promoted</th><th>by</th></tr></thead><tbody>
          ${d.models.map(m => `<tr><td>${esc(m.approach)}</td><td class="nowrap">${esc(m.version.slice(0, 12))}</td><td>${esc(m.status)}</td>
            <td class="nowrap">${m.promoted_at_ms ? date(m.promoted_at_ms) : '–'}</td><td>${esc(m.promoted_by || '')}</td></tr>`).join('')}</tbody></table></div>`
      : '<p class="muted">No model version registered: LLM approaches have none, and a local one is registered when <code>tunecase serve</code> starts.</p>';
    const m = d.monitoring;
    $('monitoring').innerHTML = m ? renderMonitoring(m)
      : '<p class="muted">Drift and the retraining policy show here once <code>tunecase monitor</code> has run on this store (docs/operate.md).</p>';
  }

  // No emerging term listed: "none rose" only when the detector looked; else why it did not
  // (no texts kept, drift not run): "none rose" had been shown when nothing was checked.
  function emergingNone(drift) {
    const d = drift.find(x => x.detector === 'emerging_terms');
    if (!d) return '<li class="muted">not checked in that run</li>';
    if (d.verdict === 'unavailable' || d.verdict === 'too_few')
      return `<li class="muted">not checked: ${esc(d.summary || d.verdict)}</li>`;
    return '<li class="muted">none rose</li>';
  }

  // The latest `tunecase monitor` run on this store (its drift part and the retraining policy).
  function renderMonitoring(m) {
    const drift = (m.drift && m.drift.detectors) || [];
    const terms = (m.drift && m.drift.emerging_terms) || [];
    const cls = v => v === 'drift' || v === 'shift' || v === 'firing' ? 'bad'
      : v === 'watch' || v === 'moderate' ? 'warn' : v === 'stable' ? 'good' : '';
    const rows = drift.map(x => `<li>${esc(x.detector)}${x.approach ? ' · ' + esc(x.approach) : ''}:
      <b class="${cls(x.verdict)}">${esc(x.verdict || '')}</b> <span class="muted">${esc(x.summary || '')}</span></li>`).join('');
    const termRows = terms.slice(0, 8).map(t => `<li><b>${esc(t.term)}</b> ${int(t.current)} now vs ${int(t.reference)} before
      (${isNum(t.rise) ? t.rise.toFixed(1) + 'x' : '–'})${t.examples && t.examples.length ? ' <span class="muted">“' + esc(t.examples[0]) + '”</span>' : ''}</li>`).join('');
    return `<p class="muted">From <code>tunecase monitor</code> at ${m.ran_at_ms ? new Date(m.ran_at_ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : '–'}${m.drift && m.drift.windows ? ': ' + esc(m.drift.windows) : ''}</p>
      <div class="grid2"><div><h3>Drift</h3><ul>${rows || '<li class="muted">no detector ran</li>'}</ul></div>
      <div><h3>Emerging terms</h3><ul>${termRows || emergingNone(drift)}</ul></div></div>
      ${m.policy ? '<p>Retraining: ' + esc(m.policy) + '</p>' : ''}
      ${(m.retrain || []).length ? '<ul class="retrain">' + m.retrain.map(r =>
        `<li data-approach="${esc(r.approach)}"><strong>${esc(r.approach)}</strong>: ${r.due ? '<span class="bad">retrain due</span>' : 'not due'} (${esc(r.why)})</li>`).join('') + '</ul>' : ''}
`;
  }

  // ---- Decision context ---------------------------------------------------------------------
  function renderContext(d) {
    const c = d.context || {};
    const rows = c.approaches || [];
    let html = d.memo ? `<p><a href="${esc(d.memo)}" data-guarded>The decision memo</a> this pilot runs.
      ${c.recommendation ? esc(c.recommendation) : ''}</p>` : '<p class="muted">serve was started without <code>--plan decision.json</code>: no memo to compare with.</p>';
    html += d.operation_plan ? `<p><a href="${esc(d.operation_plan)}" data-guarded>The operation plan</a>: who watches, what triggers a retrain, the rollback.</p>`
      : '<p class="muted">No operation plan: write one with <code>tunecase plan</code> and start serve with <code>--operation-plan</code>.</p>';
    if (rows.length) {
      const src = f => f ? ' <span class="muted">' + esc(f.source) + '</span>' + (f.simulated ? sim('simulated') : '') : '';
      html += `<div class="table-wrap"><table><thead><tr><th>approach</th><th class="num">accuracy, memo</th><th class="num">accuracy, pilot</th>
        <th class="num">$ per query, memo</th><th class="num">$ per query, pilot</th></tr></thead><tbody>
        ${rows.map(r => `<tr><td>${esc(r.approach)} <span class="badge role">${esc(r.role)}</span>${sim(r.basis)}</td>
          <td class="num">${pct(r.accuracy.memo && r.accuracy.memo.value)}${src(r.accuracy.memo)}</td>
          <td class="num">${pct(r.accuracy.pilot)} <span class="muted">n=${int(r.accuracy.pilot_labelled)} ${r.basis === 'simulated' ? 'simulated' : 'measured'}</span></td>
          <td class="num">${usd(r.usd_per_query.memo && r.usd_per_query.memo.value)}${src(r.usd_per_query.memo)}</td>
          <td class="num">${usd(r.usd_per_query.pilot)}${isNum(r.usd_per_query.pilot) ? ` <span class="muted">${r.basis === 'simulated' ? 'simulated' : 'measured'}</span>` : ` <span class="muted">${r.usd_per_query.pilot_requests ? 'no per-request cost' : 'no request yet'}</span>`}</td></tr>`).join('')}
        </tbody></table></div>`;
    }
    if (c.volume) {
      const v = c.volume;
      html += `<p>Volume: the memo assumed <b>${int(Math.round(v.memo_per_day))}</b> queries a day (${esc(v.memo_source)});
        the gateway has seen ${int(v.pilot_requests)} in ${(Math.floor(v.pilot_days * 10) / 10).toFixed(1)} days
        (<b>${isNum(v.pilot_per_day) ? int(Math.round(v.pilot_per_day)) : '–'}</b> a day, measured; ${v.mode === 'shadow'
          ? 'the requests the champion answered: the challenger ran on the same ones, off the response path'
          : 'both arms together: all the traffic the gateway saw'}).</p>`;
    }
    $('context-body').innerHTML = html;
  }

  poll();
})();
