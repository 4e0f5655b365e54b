/**
 * Recordatorio: an automated reminder of a pending appointment or errand (a reminder AgendaItem
 * placed without an operator). Like the control call it names the service only after she
 * confirms with key 1; then she can reach a person for the details (key 1) or hear it again (2).
 * Outcomes: `confirmed`, or `not_confirmed` when nobody confirms.
 */
export const recordatorio = {
  id: 'recordatorio',
  name: 'Recordatorio',
  start: 'identificar',
  emergencyKey: '9',
  hangupOutcome: 'not_confirmed',
  prompts: {
    'aviso-saludo': 'Hola. Esta llamada es para la persona titular de este teléfono. Si es usted, pulse 1.',
    'aviso-no-valida': 'Esa tecla no es válida.',
    'aviso-sin-respuesta': 'No hemos recibido ninguna respuesta.',
    'aviso-adios': 'Gracias. Adiós.',
    'aviso-recordatorio': 'Gracias. Le llamamos del servicio ATENPRO para recordarle que tiene una cita o una gestión pendiente.',
    'aviso-menu': 'Si está en peligro, pulse {tecla}. Para conocer los detalles con una persona de nuestro equipo, pulse 1. '
      + 'Para escuchar de nuevo este mensaje, pulse 2.',
    'aviso-paso-operador': 'Le pasamos con una persona de nuestro equipo. Espere, por favor.',
    'aviso-despedida': 'Si lo necesita, llámenos en cualquier momento. Adiós.',
  },
  steps: {
    identificar: {
      verb: 'gather', prompts: ['aviso-saludo'], numDigits: 1, timeoutS: 8, finishOnKey: null, retries: 2,
      branches: { 1: 'confirmada' },
      invalidPrompt: 'aviso-no-valida', timeoutPrompt: 'aviso-sin-respuesta', onInvalid: 'no_confirmada', onTimeout: 'no_confirmada',
    },
    confirmada: { verb: 'set-outcome', outcome: 'confirmed', next: 'aviso' },
    aviso: { verb: 'say', prompt: 'aviso-recordatorio', next: 'menu' },
    menu: {
      verb: 'gather', prompts: ['aviso-menu'], numDigits: 1, timeoutS: 8, finishOnKey: null, retries: 1,
      branches: { 1: 'operador', 2: 'aviso' },
      invalidPrompt: 'aviso-no-valida', timeoutPrompt: 'aviso-sin-respuesta', onInvalid: 'despedida', onTimeout: 'despedida',
    },
    operador: { verb: 'say', prompt: 'aviso-paso-operador', next: 'conectar' },
    conectar: { verb: 'connect-operator', line: 'general' },
    despedida: { verb: 'say', prompt: 'aviso-despedida', next: 'colgar' },
    colgar: { verb: 'hangup' },
    no_confirmada: { verb: 'set-outcome', outcome: 'not_confirmed', next: 'adios' },
    adios: { verb: 'say', prompt: 'aviso-adios', next: 'fin' },
    fin: { verb: 'hangup' },
  },
} as const;
