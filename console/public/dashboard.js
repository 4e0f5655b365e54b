// The managers' dashboard (and coordinators'): figures of the service for a date range and a place,
// as tiles, charts, a table to drill down from province to municipality to centre, and CSV exports.
import { api, staffSession } from './api.js';
import { $, h, setText, showSessionExpired } from './dom.js';
import { drawChart } from './dashboard-charts.js';
import { drillLevel, drillRows, kpis, loadFigures, series } from './dashboard-data.js';
import { renderDrill, renderExports, renderPath, renderTiles } from './dashboard-view.js';

const READERS = ['manager', 'coordinator'];
const form = $('filters');
let figures = [];
let provinces = [];
let loading = 0;
let expired = false;

function sessionExpired() {
  if (expired) return;
  expired = true;
  showSessionExpired();
}

const isoDay = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

/** By default the twelve months up to today: the year the Ministry and the FEMP ask about. */
function defaultRange() {
  const today = new Date();
  const from = new Date(today.getFullYear(), today.getMonth() - 11, 1);
  return { from: isoDay(from), to: isoDay(today) };
}

function filters() {
  return { from: $('f-from').value, to: $('f-to').value, province: $('f-province').value,
    municipality: $('f-municipality').value, centre: $('f-centre').value,
    grain: form.querySelector('input[name=grain]:checked')?.value ?? 'month' };
}

/** A province's municipalities and centres, for the two selects below it. */
async function loadPlaces(province) {
  const muni = $('f-municipality');
  const centre = $('f-centre');
  muni.replaceChildren(h('option', { value: '' }, 'Todos'));
  centre.replaceChildren(h('option', { value: '' }, 'Todos'));
  muni.disabled = centre.disabled = !province;
  if (!province) return;
  const res = await api('GET', `/api/reports/filters?province=${encodeURIComponent(province)}`);
  if (res.status === 401) return sessionExpired();
  if (!res.ok) return setText($('filters-error'), res.data.message);
  muni.append(...res.data.municipalities.map((m) => h('option', { value: m }, m)));
  centre.append(...res.data.centres.map((c) => h('option', { value: c.id, 'data-municipality': c.municipality }, c.name)));
}

async function refresh() {
  const f = filters();
  setText($('filters-error'), '');
  if (!f.from || !f.to) return setText($('filters-error'), 'Indique las dos fechas.');
  if (f.from > f.to) return setText($('filters-error'), 'La fecha inicial es posterior a la final.');
  const mine = ++loading;
  $('dash').setAttribute('aria-busy', 'true');
  $('dash-status').textContent = 'Cargando cifras…';
  const res = await loadFigures(f);
  if (mine !== loading) return; // a newer filter change is on its way
  $('dash').removeAttribute('aria-busy');
  if (!res.ok) {
    if (res.status === 401) return sessionExpired();
    $('dash-status').textContent = '';
    return setText($('filters-error'), res.message ?? 'No se pudieron cargar las cifras.');
  }
  renderTiles(kpis(res.totals));
  const s = series(res.totals);
  drawChart($('chart-calls'), { periods: s.periods, series: s.calls, grain: f.grain });
  drawChart($('chart-rates'), { periods: s.periods, series: s.rates, grain: f.grain, unit: ' %', target: true });
  drawChart($('chart-emergencies'), { periods: s.periods, series: s.emergencies, grain: f.grain });
  drawChart($('chart-census'), { periods: s.periods, series: s.census, grain: f.grain });
  renderDrill(drillRows(res.drill, res.by), res.by, pick(res.by));
  renderPath(pathOf(f));
  renderExports(figures, f, res.by);
  $('dash').dataset.loaded = String(mine);
  $('dash-status').textContent = 'Cifras actualizadas.';
}

/** Going down one level sets the filter of that level. */
const pick = (by) => async (key) => {
  if (by === 'province') {
    $('f-province').value = key;
    await loadPlaces(key);
  } else if (by === 'municipality') {
    $('f-municipality').value = key;
  }
  await refresh();
  $('drill-title').focus();
};

function pathOf(f) {
  const steps = [{ label: 'España', go: () => void up('') }];
  if (f.province) steps.push({ label: provinces.find((p) => p.code === f.province)?.name ?? f.province, go: () => void up('province') });
  if (f.municipality) steps.push({ label: f.municipality, go: () => void up('municipality') });
  if (f.centre) steps.push({ label: $('f-centre').selectedOptions[0]?.textContent ?? '', go: () => undefined });
  return steps;
}

async function up(to) {
  if (to === '') { $('f-province').value = ''; await loadPlaces(''); }
  if (to === 'province') { $('f-municipality').value = ''; $('f-centre').value = ''; }
  if (to === 'municipality') $('f-centre').value = '';
  await refresh();
}

async function start() {
  const me = await staffSession({ $, setText }, READERS,
    'Estas estadísticas son para gerencia y coordinación: su perfil no tiene acceso a ellas.');
  if (!me) return;
  $('to-coordination').hidden = me.role !== 'coordinator';
  const [list, places] = await Promise.all([api('GET', '/api/reports'), api('GET', '/api/reports/filters')]);
  if (list.status === 401 || places.status === 401) return sessionExpired();
  figures = list.ok ? list.data : [];
  provinces = places.ok ? places.data.provinces : [];
  $('f-province').append(...provinces.map((p) => h('option', { value: p.code }, p.name)));
  const range = defaultRange();
  $('f-from').value = range.from;
  $('f-to').value = range.to;
  $('dash').hidden = false;

  form.addEventListener('submit', (e) => { e.preventDefault(); void refresh(); });
  form.addEventListener('change', async (e) => {
    if (e.target.id === 'f-province') await loadPlaces(e.target.value);
    if (e.target.id === 'f-centre' && e.target.value) {
      $('f-municipality').value = e.target.selectedOptions[0]?.dataset.municipality ?? '';
    }
    if (e.target.id === 'f-municipality') $('f-centre').value = '';
    await refresh();
  });
  await refresh();
}

void start();
