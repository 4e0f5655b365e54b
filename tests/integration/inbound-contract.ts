import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { altaBody, bearer, createCentre, signIn, startTestApp, type TestApp } from '../helpers/app.ts';

/** The numbers of the centre's lines in the test configuration (app/config.ts defaults). */
export const LINES = { emergency: '+34900100100', general: '+34900100200', selftest: '+34900100300', info: '+34900100400' };

/** One inbound call as a driver plays it on its provider's wire. */
export interface DriverCall {
  /** The provider's id of the caller's leg. */
  providerCallId: string;
  /** The call is being connected to this operator device; the driver answers it. */
  expectConnected(device: string): Promise<void>;
  /** The caller hears that she is waiting (182 Queued / <Enqueue>). */
  expectWaiting(): Promise<void>;
  /** The line answered and ended the call by itself. */
  expectAnsweredAndEnded(): Promise<void>;
  /** The caller hangs up (before or after being connected). */
  hangUp(): Promise<void>;
}

export interface InboundDriver {
  /** Settings and a hook for the app the suite starts (routes must be added before it is ready). */
  app?: { overrides?: Parameters<typeof startTestApp>[0]; options?: Parameters<typeof startTestApp>[1] };
  /** Attaches the adapter to the app (after startTestApp). */
  attach(t: TestApp): Promise<void>;
  /** `from` null is a withheld number. */
  call(from: string | null, to: string): Promise<DriverCall>;
  close(): Promise<void>;
}

/**
 * The inbound flow every voice adapter must honour, whatever its wire (ARCHITECTURE.md:
 * "both adapters pass the same contract test suite").
 */
export function inboundContract(name: string, makeDriver: () => InboundDriver) {
  describe(`inbound contract: ${name}`, () => {
    let t: TestApp;
    let driver: InboundDriver;
    let coord: string;
    let centreId: string;
    let opN = 0;

    beforeAll(async () => {
      driver = makeDriver();
      t = await startTestApp(driver.app?.overrides, driver.app?.options);
      await driver.attach(t);
      coord = (await signIn(t, 'coordinator')).token;
      centreId = (await createCentre(t.pool)).id;
    });
    afterAll(async () => { await driver.close(); await t.close(); });

    const operator = async () => {
      const device = `sip:op${++opN}@10.9.0.${opN}`;
      const u = await signIn(t, 'operator');
      await t.pool.query('update users set device_uri = $2 where id = $1', [u.userId, device]);
      return { id: u.userId, device };
    };
    const available = (id: string) => t.app.telephony.inbound.setPresence(id, 'available');
    const attempt = async (c: DriverCall) => (await t.pool.query(
      `select usuaria_id, caller, line, operator_id, outcome from call_attempts where provider_call_id = $1`, [c.providerCallId])).rows[0];
    const terminalOfNewUsuaria = async () => {
      const body = altaBody(centreId);
      const res = await t.app.inject({ method: 'POST', url: '/api/usuarias', headers: bearer(coord), payload: body });
      return { usuariaId: res.json().usuariaId as string, msisdn: body.terminal.msisdn as string };
    };
    const drain = async () => {
      for (let i = 0; i < 5 && (await t.app.telephony.inbound.desk.waiting()).length; i++) await available((await operator()).id);
    };

    it('connects a known caller to the free operator, identified', async () => {
      const op = await operator();
      await available(op.id);
      const u = await terminalOfNewUsuaria();
      const c = await driver.call(u.msisdn, LINES.general);
      await c.expectConnected(op.device);
      expect(await attempt(c)).toMatchObject({ usuaria_id: u.usuariaId, caller: u.msisdn, line: 'general', operator_id: op.id });
      await c.hangUp();
    });

    it('connects an unknown caller, popped as unknown', async () => {
      const op = await operator();
      await available(op.id);
      const c = await driver.call('+34699000111', LINES.general);
      await c.expectConnected(op.device);
      expect(await attempt(c)).toMatchObject({ usuaria_id: null, caller: '+34699000111' });
      await c.hangUp();
    });

    it('connects a withheld number', async () => {
      const op = await operator();
      await available(op.id);
      const c = await driver.call(null, LINES.emergency);
      await c.expectConnected(op.device);
      expect(await attempt(c)).toMatchObject({ usuaria_id: null, caller: null, line: 'emergency' });
      await c.hangUp();
    });

    it('holds callers while nobody is free and gives the first free operator the emergency first', async () => {
      const general = await driver.call('+34699000222', LINES.general);
      await general.expectWaiting();
      const emergency = await driver.call('+34699000333', LINES.emergency);
      await emergency.expectWaiting();
      const op = await operator();
      await available(op.id);
      await emergency.expectConnected(op.device);
      const op2 = await operator();
      await available(op2.id);
      await general.expectConnected(op2.device);
      await emergency.hangUp();
      await general.hangUp();
    });

    it('forgets a caller who hangs up while waiting, and records it', async () => {
      const c = await driver.call('+34699000444', LINES.general);
      await c.expectWaiting();
      await c.hangUp();
      await until(async () => (await t.app.telephony.inbound.desk.waiting()).length === 0);
      // SIP says canceled (never answered); Twilio says completed (its <Enqueue> had answered)
      await until(async () => ['canceled', 'completed'].includes((await attempt(c))?.outcome));
      await drain();
    });

    it('answers the self-test line with no operator and records it on the terminal', async () => {
      const u = await terminalOfNewUsuaria();
      const c = await driver.call(u.msisdn, LINES.selftest);
      await c.expectAnsweredAndEnded();
      const { rows } = await t.pool.query('select last_selftest_at from terminals where usuaria_id = $1', [u.usuariaId]);
      expect(rows[0].last_selftest_at).not.toBeNull();
      expect(await attempt(c)).toMatchObject({ usuaria_id: u.usuariaId, operator_id: null, line: 'selftest' });
    });
  });
}

export async function until(cond: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
