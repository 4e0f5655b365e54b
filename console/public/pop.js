// The screen-pop, section by section in the order DOMAIN.md fixes. Text only: no data as HTML.
import { ago, formatDateTime, formatDay, formatPhone, h } from './dom.js';
import { positionMap, POSITION_SOURCE } from './map.js';
import { AGENDA_KIND, CALL_STATE, DIRECTION, EMERGENCY_KIND, KIND, LINE, RESOURCE_CATEGORY, RISK, YES_NO, label } from './labels.js';

const NONE = (text) => h('p', { class: 'none' }, text);

function card(title, body, extra = '') {
  const id = `pop-${title.toLowerCase().normalize('NFD').replace(/[^a-z]+/g, '-')}`;
  return h('section', { class: `card ${extra}`.trim(), 'aria-labelledby': id }, h('h3', { id }, title), body);
}

function facts(rows) {
  return h('dl', { class: 'facts' }, rows.filter(([, v]) => v !== undefined)
    .map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v === null || v === '' ? '—' : v))));
}

/** Who is calling: expediente, name and risk, or an unknown or withheld number. */
function identity(pop, onOpenFicha) {
  if (!pop.known) {
    return h('header', { class: 'identity unknown' },
      h('p', { class: 'caller-label' }, pop.caller ? 'Número desconocido' : 'Número oculto'),
      pop.caller && h('p', { class: 'caller-number' }, formatPhone(pop.caller)),
      h('p', { class: 'hint' }, pop.caller ? 'El número no corresponde a ningún terminal activo.' : 'La llamada llega sin número.'));
  }
  const risk = pop.risk;
  return h('header', { class: 'identity' },
    h('div', { class: 'identity-main' },
      h('p', { class: 'expediente' }, h('span', { class: 'label' }, 'Expediente '), pop.expedienteCode ?? 'sin expediente abierto'),
      h('p', { class: 'name', id: 'pop-name' }, pop.name),
      h('p', { class: 'risk-line' },
        h('span', { class: `risk risk-${risk?.level ?? 'none'}` }, `Riesgo: ${risk ? label(RISK, risk.level) : 'sin valoración'}`),
        risk && h('span', { class: 'risk-date' }, `Valoración policial: ${formatDay(risk.assessedOn)}`)),
      pop.caller && h('p', { class: 'caller-small' }, `Llama desde ${formatPhone(pop.caller)}`)),
    pop.usuariaId && h('button', { type: 'button', class: 'secondary', onclick: () => onOpenFicha(pop.usuariaId) }, 'Abrir ficha completa'));
}

function location(loc) {
  if (!loc) return card('Ubicación', NONE('Sin datos de ubicación'));
  const home = [loc.address, loc.postalCode].filter(Boolean).join(' · ');
  const work = loc.work ? `${loc.work.address} · ${loc.work.municipality} (${loc.work.province})` : 'No consta';
  return card('Ubicación', facts([
    ['Domicilio', home], ['Municipio', loc.municipality], ['Provincia', loc.province],
    ['Notas', loc.notes ?? undefined], ['Domicilio laboral', work],
  ]), 'wide');
}

function household(members) {
  const minors = members.filter((m) => m.minorAtRisk).length;
  const body = members.length
    ? h('ul', { class: 'people' }, members.map((m) => h('li', { class: m.minorAtRisk ? 'minor-risk' : null },
      h('span', { class: 'person' }, m.fullName), ` (${m.relationship}${m.birthYear ? `, año de nacimiento ${m.birthYear}` : ''})`,
      m.minorAtRisk && h('span', { class: 'badge danger' }, 'Menor en riesgo'))))
    : NONE('Sin personas registradas');
  const title = minors ? `Núcleo convivencial · ${minors} ${minors === 1 ? 'menor' : 'menores'} en riesgo` : 'Núcleo convivencial';
  return card(title, body, minors ? 'alert' : '');
}

function health(notes) {
  return card('Salud', notes ? h('p', { class: 'prose' }, notes) : NONE('Sin observaciones'));
}

function contacts(list) {
  const body = list.length
    ? h('ol', { class: 'people' }, list.map((c) => h('li', null,
      h('span', { class: 'priority' }, c.priority), h('span', { class: 'person' }, c.fullName), ` (${c.relationship})`,
      c.holdsKeys && h('span', { class: 'badge' }, 'Tiene llaves'),
      h('span', { class: 'phones' }, [c.phone1, c.phone2].filter(Boolean).map(formatPhone).join(' · ')),
      c.municipality && h('span', { class: 'muted' }, ` ${c.municipality}`))))
    : NONE('Sin personas de contacto');
  return card('Personas de contacto (por prioridad)', body);
}

function resources(list) {
  if (!list.length) return card('Recursos de emergencia', NONE('Sin recursos registrados'));
  const groups = Object.keys(RESOURCE_CATEGORY).concat(list.map((r) => r.category))
    .filter((cat, i, all) => all.indexOf(cat) === i && list.some((r) => r.category === cat));
  return card('Recursos de emergencia', h('div', { class: 'resources' }, groups.map((cat) => h('div', null,
    h('h4', null, label(RESOURCE_CATEGORY, cat)),
    h('ol', null, list.filter((r) => r.category === cat).sort((a, b) => a.priority - b.priority)
      .map((r) => h('li', null, h('span', { class: 'person' }, r.name), h('span', { class: 'phones' }, formatPhone(r.phone)))))))));
}

function aggressor(a) {
  if (!a) return card('Agresor', NONE('Sin datos del agresor'));
  return card('Agresor', facts([['Descripción', a.description], ['Vehículo', a.vehicle],
    ['Indicadores de riesgo', a.riskIndicators], ['Conoce su domicilio', YES_NO(a.knowsHome)]]), 'aggressor');
}

function incidents(list) {
  const body = list.length
    ? h('ul', { class: 'plain' }, list.map((i) => h('li', null, h('strong', null, label(EMERGENCY_KIND, i.kind)),
      i.level ? ` · nivel ${i.level}` : '', ` · abierta el ${formatDateTime(i.openedAt)}`)))
    : NONE('Ninguna');
  return card('Incidencias abiertas', body, list.length ? 'alert' : '');
}

function lastCalls(list) {
  const body = list.length
    ? h('ul', { class: 'plain' }, list.map((c) => h('li', null, formatDateTime(c.startedAt), ' · ', label(DIRECTION, c.direction),
      ' · ', label(LINE, c.line), c.kind ? ` · ${label(KIND, c.kind)}` : '', c.outcome ? ` · ${label(CALL_STATE, c.outcome)}` : '')))
    : NONE('Ninguna');
  return card('Últimas llamadas', body, 'wide');
}

function nextCall(next) {
  return card('Próxima llamada prevista', next
    ? h('p', null, h('strong', null, label(AGENDA_KIND, next.kind)), ` · desde el ${formatDateTime(next.notBefore)}`)
    : NONE('Ninguna prevista'));
}

function position(p) {
  if (!p) return card('Última posición del terminal', NONE('Sin posición'));
  const where = `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}${p.accuracyM ? ` (±${Math.round(p.accuracyM)} m)` : ''}`;
  return card('Última posición del terminal', h('div', null, facts([['Coordenadas', where],
    ['Tomada', `${formatDateTime(p.at)} · ${ago(p.at)}`], ['Origen', label(POSITION_SOURCE, p.source)]]), positionMap(p)), 'wide');
}

/** The whole pop as one element; `onOpenFicha(usuariaId)` opens her full ficha. */
export function renderPop(pop, onOpenFicha) {
  const root = h('div', { class: 'pop' }, identity(pop, onOpenFicha));
  if (pop.degraded) root.append(h('p', { class: 'degraded', role: 'alert' }, pop.degraded));
  if (!pop.known) return root;
  root.append(h('div', { class: 'pop-grid' }, location(pop.location), household(pop.household ?? []), health(pop.health),
    contacts(pop.contacts ?? []), resources(pop.resources ?? []), aggressor(pop.aggressor), incidents(pop.incidents ?? []),
    lastCalls(pop.lastCalls ?? []), nextCall(pop.nextCall), position(pop.position)));
  return root;
}
