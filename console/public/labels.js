// Every word an operator reads, in Spanish, keyed by the API's values.

export const PRESENCE = { available: 'Disponible', busy: 'Ocupada', wrap_up: 'Tras llamada', away: 'Ausente', offline: 'Desconectada' };

export const RISK = { no_apreciable: 'No apreciable', bajo: 'Bajo', medio: 'Medio', alto: 'Alto', extremo: 'Extremo' };

export const LINE = { emergency: 'Línea de emergencia', general: 'Línea general', info: 'Línea de información', selftest: 'Autochequeo' };

export const CALL_STATE = {
  offered: 'Entrante', ringing: 'Sonando', waiting: 'En espera', connecting: 'Conectando', in_progress: 'En curso',
  completed: 'Finalizada', busy: 'Ocupado', no_answer: 'Sin respuesta', failed: 'Fallida',
  canceled: 'Colgó antes de ser atendida', rejected: 'Rechazada',
};

export const KIND = { A: 'A · Entrante', B: 'B · Seguimiento', C: 'C · Emergencia', D: 'D · Control técnico' };

export const EMERGENCY_KIND = {
  psicosocial: 'Psicosocial', prealarma: 'Prealarma', alarma_agresion: 'Alarma por agresión', otra: 'Otra', tecnica: 'Técnica',
};

export const OUTCOME = { atendida: 'Atendida', sin_voz: 'Sin voz', colgada: 'Colgada', equivocada: 'Equivocada', prueba: 'Prueba' };

export const RESOURCE_CATEGORY = {
  fuerzas_seguridad: 'Fuerzas y Cuerpos de Seguridad', sanitario: 'Sanitarios', social: 'Sociales', otro: 'Otros',
};

export const AGENDA_KIND = {
  followup: 'Seguimiento', reminder: 'Recordatorio (cita o gestión)', post_emergency: 'Seguimiento tras emergencia',
  control: 'Llamada de control',
};

export const DIRECTION = { inbound: 'Entrante', outbound: 'Saliente' };

export const YES_NO = (v) => (v === true ? 'Sí' : v === false ? 'No' : '—');

/** The label of a value, or the value itself when it has none. */
export const label = (map, value) => (value === null || value === undefined || value === '' ? '—' : map[value] ?? String(value));

/** INE province codes, as common/provinces.ts names them. */
export const PROVINCE = Object.fromEntries(('01 Araba/Álava|02 Albacete|03 Alicante/Alacant|04 Almería|05 Ávila|06 Badajoz|'
  + '07 Illes Balears|08 Barcelona|09 Burgos|10 Cáceres|11 Cádiz|12 Castellón/Castelló|13 Ciudad Real|14 Córdoba|15 A Coruña|'
  + '16 Cuenca|17 Girona|18 Granada|19 Guadalajara|20 Gipuzkoa|21 Huelva|22 Huesca|23 Jaén|24 León|25 Lleida|26 La Rioja|'
  + '27 Lugo|28 Madrid|29 Málaga|30 Murcia|31 Navarra|32 Ourense|33 Asturias|34 Palencia|35 Las Palmas|36 Pontevedra|'
  + '37 Salamanca|38 Santa Cruz de Tenerife|39 Cantabria|40 Segovia|41 Sevilla|42 Soria|43 Tarragona|44 Teruel|45 Toledo|'
  + '46 Valencia/València|47 Valladolid|48 Bizkaia|49 Zamora|50 Zaragoza|51 Ceuta|52 Melilla').split('|').map((p) => [p.slice(0, 2), p.slice(3)]));

export const ALTA_CATEGORY = {
  victima: 'Víctima', victima_menor: 'Víctima menor de edad (12-18)', hija_hijo: 'Hija o hijo (18-25)',
  persona_dependiente: 'Persona dependiente', excepcional: 'Caso excepcional',
};

export const BAJA_CAUSE = {
  caducidad_medidas: 'Caducidad de medidas', convivencia_agresor: 'Convivencia con el agresor',
  incumplimientos_reiterados: 'Incumplimientos reiterados', traslado_entidad_no_adherida: 'Traslado a entidad no adherida',
  voluntaria: 'Voluntaria', agresor_sin_riesgo: 'Agresor sin riesgo', desaparecida_no_localizable: 'Desaparecida o no localizable',
  disconforme: 'Disconforme', fallecida: 'Fallecida', vive_fuera_espana: 'Vive fuera de España', no_percibe_riesgo: 'No percibe riesgo',
  falta_contacto: 'Falta de contacto (Anexo IV)', no_renovacion: 'No renovación', plazo_maximo: 'Plazo máximo',
};

/** Anexo IV stages, as the coordinator reads them. */
export const LOSS_STAGE = {
  contacting_persons: 'Llamando a personas de contacto', social_services_notified: 'Servicios sociales avisados',
  baja_proposed: 'Baja propuesta', closed_contact_recovered: 'Cerrado: contacto recuperado', closed_baja: 'Cerrado: baja',
};

export const AGENDA_STATUS = {
  planned: 'Pendiente', claimed: 'Asignada', dialling: 'Marcando', done: 'Realizada', failed: 'Sin contacto',
  cancelled: 'Cancelada', skipped: 'Omitida',
};

export const AGENDA_OUTCOME = {
  moved: 'Movida a otro momento', cancelled_by_coordinator: 'Cancelada por coordinación', contacted: 'Habló con ella',
  answered_not_her: 'Contestó otra persona', machine: 'Contestador', no_answer: 'Sin respuesta', busy: 'Ocupado',
  failed: 'Fallida', rejected: 'Rechazada', canceled: 'Cortada', not_placed: 'No se pudo realizar',
  window_closed: 'Franja cerrada: pasa a la siguiente', not_in_service: 'Fuera de servicio',
  newer_contact: 'Ya hubo contacto', no_terminal: 'Sin terminal activo',
};

export const WEEKDAY = ['', 'lunes', 'martes', 'miércoles', 'jueves', 'viernes', 'sábado', 'domingo'];

/** Her zone, as a short note after a time. */
export const ZONE_NOTE = { 'Europe/Madrid': 'hora peninsular', 'Atlantic/Canary': 'hora de Canarias' };
