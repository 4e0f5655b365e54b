// Her whole ficha (GET /api/usuarias/:id, audited by the server) in a modal panel.
import { api } from './api.js';
import { $, formatDateTime, formatDay, formatPhone, h } from './dom.js';
import { ALTA_CATEGORY, BAJA_CAUSE, PROVINCE, RESOURCE_CATEGORY, RISK, label } from './labels.js';

const KEY_LABELS = {
  givenName: 'Nombre', familyNames: 'Apellidos', idDocument: 'Documento', birthDate: 'Fecha de nacimiento',
  nationality: 'Nacionalidad', disability: 'Discapacidad', personalPhone: 'Teléfono personal',
  otherResources: 'Otros recursos', specialisedProgrammes: 'Programas especializados',
  code: 'Código', altaType: 'Tipo de alta', altaCategory: 'Categoría', requestedOn: 'Solicitud de alta', altaOn: 'Fecha de alta',
  status: 'Estado', authorisationRef: 'Autorización', authorisedOn: 'Autorizada el', telematicControlOrder: 'Dispositivos telemáticos de control',
  bajaCause: 'Causa de baja', bajaOn: 'Fecha de baja', bajaNotes: 'Notas de la baja',
  address: 'Domicilio', municipality: 'Municipio', provinceCode: 'Provincia', postalCode: 'Código postal',
  landline: 'Teléfono fijo', notes: 'Notas', work: 'Domicilio laboral',
  level: 'Nivel', assessedOn: 'Fecha', otherAssessments: 'Otras valoraciones',
  fullName: 'Nombre', relationship: 'Relación', birthYear: 'Año de nacimiento', phone: 'Teléfono', minorAtRisk: 'Menor en riesgo',
  priority: 'Prioridad', phone1: 'Teléfono 1', phone2: 'Teléfono 2', holdsKeys: 'Tiene llaves', consentOn: 'Consentimiento',
  category: 'Categoría', name: 'Nombre',
  description: 'Descripción', vehicle: 'Vehículo', riskIndicators: 'Indicadores de riesgo', residence: 'Residencia',
  knowsHome: 'Conoce su domicilio', knowsWorkplace: 'Conoce su trabajo', knowsSchool: 'Conoce el centro escolar',
  otherRiskPersons: 'Otras personas de riesgo', judicialMeasures: 'Medidas judiciales', agreedOn: 'Acordada el',
  durationMonths: 'Duración (meses)', kind: 'Tipo', reason: 'Motivo',
  frequency: 'Frecuencia', weekdays: 'Días', windowFrom: 'Desde', windowTo: 'Hasta', zone: 'Zona horaria', retries: 'Reintentos',
  startsOn: 'Desde', endsOn: 'Hasta', msisdn: 'Número del terminal', imei: 'IMEI', model: 'Modelo', deliveredOn: 'Entregado el',
  lastSelftestAt: 'Último autochequeo',
};
const VALUE_LABELS = {
  level: RISK, category: RESOURCE_CATEGORY, provinceCode: PROVINCE, altaCategory: ALTA_CATEGORY, bajaCause: BAJA_CAUSE,
  altaType: { ordinaria: 'Ordinaria', extraordinaria: 'Extraordinaria' },
  status: { solicitada: 'Solicitada', activa: 'Activa', baja: 'Baja', active: 'Activo', lost: 'Perdido', stolen: 'Robado',
    in_repair: 'En reparación', returned: 'Devuelto' },
  frequency: { quincenal: 'Quincenal', mensual: 'Mensual' },
};
const WEEKDAYS = ['', 'lunes', 'martes', 'miércoles', 'jueves', 'viernes', 'sábado', 'domingo'];
const HIDDEN = /^(id|.*Id|createdAt|updatedAt|.*Enc|.*Hash)$/;

function value(key, v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? 'Sí' : 'No';
  if (key === 'weekdays' && Array.isArray(v)) return v.map((d) => WEEKDAYS[d] ?? d).join(', ');
  if (Array.isArray(v)) return v.length ? list(v) : '—';
  if (typeof v === 'object') return facts(v);
  if (VALUE_LABELS[key]) return label(VALUE_LABELS[key], v);
  if (/phone|landline|msisdn/i.test(key)) return formatPhone(String(v));
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return formatDay(v);
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) return formatDateTime(v);
  return String(v);
}

function facts(obj) {
  return h('dl', { class: 'facts' }, Object.entries(obj).filter(([k]) => !HIDDEN.test(k))
    .map(([k, v]) => h('div', null, h('dt', null, KEY_LABELS[k] ?? k), h('dd', null, value(k, v)))));
}

function list(items) {
  return h('ol', { class: 'records' }, items.map((item) => h('li', null, typeof item === 'object' ? facts(item) : String(item))));
}

function section(title, content) {
  return h('section', { class: 'ficha-section' }, h('h3', null, title),
    content === null || content === undefined || (Array.isArray(content) && !content.length) ? h('p', { class: 'none' }, 'Sin datos')
      : Array.isArray(content) ? list(content) : typeof content === 'object' ? facts(content) : h('p', null, content));
}

function render(f) {
  return [
    section('Identificación', f.identification),
    section('Expediente', f.expediente),
    section('Ubicación', f.location),
    section('Valoraciones policiales del riesgo', f.risk),
    section('Núcleo convivencial', f.household),
    section('Personas de contacto', f.contacts),
    section('Recursos de emergencia', f.resources),
    section('Agresor', f.aggressor),
    section('Salud', f.health?.notes),
    section('Agenda de seguimiento', f.agendaPolicy),
    section('Ausencias comunicadas', f.absences),
    section('Terminales', f.terminals),
    section('Historial de expedientes', f.expedientes),
    section('Bajas por incumplimiento', String(f.bajasIncumplimiento ?? 0)),
  ];
}

export function fichaPanel() {
  const dialog = $('ficha-dialog');
  const body = $('ficha-body');
  $('ficha-close').addEventListener('click', () => dialog.close());
  // nothing of her file stays in the page once the panel is closed
  dialog.addEventListener('close', () => body.replaceChildren());

  return {
    async open(usuariaId) {
      body.replaceChildren(h('p', { class: 'hint' }, 'Cargando la ficha…'));
      if (!dialog.open) dialog.showModal();
      const res = await api('GET', `/api/usuarias/${encodeURIComponent(usuariaId)}`);
      body.replaceChildren(...(res.ok ? render(res.data) : [h('p', { class: 'form-error', role: 'alert' }, res.data.message)]));
    },
    close() { if (dialog.open) dialog.close(); },
  };
}
