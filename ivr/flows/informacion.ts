/**
 * Información: the centre's public information line (protocol §2: it directs callers to the local
 * social services or equality services of their place of residence, through which the alta is
 * requested). One key reaches a person on the `info` line, another repeats; silence and wrong keys
 * are asked again twice, then the call ends politely. `{tecla}` is the emergency key.
 */
export const informacion = {
  id: 'informacion',
  name: 'Información',
  start: 'bienvenida',
  emergencyKey: '9',
  prompts: {
    'info-bienvenida': 'Le damos la bienvenida al teléfono de información del servicio ATENPRO, de atención y protección '
      + 'para víctimas de violencia contra las mujeres.',
    'info-servicio': 'ATENPRO ofrece atención inmediata y a distancia, las 24 horas del día, los 365 días del año, '
      + 'mediante un dispositivo móvil. Para solicitarlo, diríjase a los servicios sociales o a los servicios de igualdad '
      + 'de su ayuntamiento.',
    'info-menu': 'Si está en peligro, pulse {tecla} en cualquier momento. Para hablar con una persona de nuestro equipo, '
      + 'pulse 1. Para escuchar de nuevo la información, pulse 2.',
    'info-no-valida': 'La tecla pulsada no corresponde a ninguna opción.',
    'info-sin-respuesta': 'No hemos recibido ninguna respuesta.',
    'info-paso-operador': 'Le pasamos con una persona de nuestro equipo. Espere, por favor.',
    'info-despedida': 'Gracias por llamar. Puede volver a llamarnos en cualquier momento. Adiós.',
  },
  steps: {
    bienvenida: { verb: 'say', prompt: 'info-bienvenida', next: 'servicio' },
    servicio: { verb: 'say', prompt: 'info-servicio', next: 'menu' },
    menu: {
      verb: 'gather', prompts: ['info-menu'], numDigits: 1, timeoutS: 6, finishOnKey: null, retries: 2,
      branches: { 1: 'operador', 2: 'servicio' },
      invalidPrompt: 'info-no-valida', timeoutPrompt: 'info-sin-respuesta', onInvalid: 'despedida', onTimeout: 'despedida',
    },
    operador: { verb: 'say', prompt: 'info-paso-operador', next: 'conectar' },
    conectar: { verb: 'connect-operator', line: 'info' },
    despedida: { verb: 'say', prompt: 'info-despedida', next: 'colgar' },
    colgar: { verb: 'hangup' },
  },
} as const;
