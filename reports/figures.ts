import { answerTimesFigure } from './answer-times.ts';
import { callsFigure } from './calls.ts';
import { censusFigure } from './census.ts';
import { contactLossFigure, contactLossFlowsFigure } from './contact-loss.ts';
import { emergenciesFigure } from './emergencies.ts';
import type { Figure } from './figure.ts';
import { followupsFigure } from './followups.ts';
import { outsideWindowFigure } from './outside-window.ts';
import { postEmergencyFigure } from './post-emergency.ts';
import { selftestFigure } from './selftest.ts';

/** Every figure, in the order the dashboard shows them. */
export const FIGURES: readonly Figure[] = [censusFigure, callsFigure, followupsFigure, answerTimesFigure, emergenciesFigure,
  postEmergencyFigure, contactLossFigure, contactLossFlowsFigure, selftestFigure, outsideWindowFigure];
