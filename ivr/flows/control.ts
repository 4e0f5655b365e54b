/**
 * Llamada de control (§10.1 D): the periodic outbound call in which the centre asks her to emit a
 * test call from her terminal. Nothing said before she confirms with key 1 names the service
 * (someone else may have answered). Outcomes: `confirmed` once she presses 1; `not_confirmed`
 * when nobody confirms (silence, wrong keys, or a hang-up before confirming). The matching of the
 * test call that follows is the dialer's (technical control), not the flow's.
 */
export const control = {
  id: 'control',
  name: 'Llamada de control',
  start: 'identificar',
  emergencyKey: '9',
  hangupOutcome: 'not_confirmed',
  prompts: {
    'control-saludo': 'Hola. Esta llamada es para la persona titular de este teléfono. Si es usted, pulse 1.',
    'control-no-valida': 'Esa tecla no es válida.',
    'control-sin-respuesta': 'No hemos recibido ninguna respuesta.',
    'control-adios': 'Gracias. Adiós.',
    'control-identificada': 'Gracias. Le llamamos del servicio ATENPRO para comprobar que su terminal funciona bien.',
    'control-instrucciones': 'Si está en peligro, pulse {tecla}. Para hablar ahora con una persona de nuestro equipo, pulse 0. '
      + 'Si no, cuelgue y pulse ahora el botón de su terminal para hacer una llamada de prueba.',
    'control-paso-operador': 'Le pasamos con una persona de nuestro equipo. Espere, por favor.',
    'control-despedida': 'Cuelgue ahora y pulse el botón de su terminal. Gracias. Adiós.',
  },
  steps: {
    identificar: {
      verb: 'gather', prompts: ['control-saludo'], numDigits: 1, timeoutS: 8, finishOnKey: null, retries: 2,
      branches: { 1: 'confirmada' },
      invalidPrompt: 'control-no-valida', timeoutPrompt: 'control-sin-respuesta', onInvalid: 'no_confirmada', onTimeout: 'no_confirmada',
    },
    confirmada: { verb: 'set-outcome', outcome: 'confirmed', next: 'identificada' },
    identificada: { verb: 'say', prompt: 'control-identificada', next: 'instrucciones' },
    instrucciones: {
      verb: 'gather', prompts: ['control-instrucciones'], numDigits: 1, timeoutS: 10, finishOnKey: null, retries: 1,
      branches: { 0: 'operador' },
      invalidPrompt: 'control-no-valida', onInvalid: 'despedida', onTimeout: 'despedida',
    },
    operador: { verb: 'say', prompt: 'control-paso-operador', next: 'conectar' },
    conectar: { verb: 'connect-operator', line: 'general' },
    despedida: { verb: 'say', prompt: 'control-despedida', next: 'colgar' },
    colgar: { verb: 'hangup' },
    no_confirmada: { verb: 'set-outcome', outcome: 'not_confirmed', next: 'adios' },
    adios: { verb: 'say', prompt: 'control-adios', next: 'fin' },
    fin: { verb: 'hangup' },
  },
} as const;
