import type { Zone } from '../common/provinces.ts';
import type { Queryable } from './db.ts';

export type RiskLevel = 'no_apreciable' | 'bajo' | 'medio' | 'alto' | 'extremo';

/** What caller identification knows after one round trip: enough to pop the first lines. */
export interface TerminalMatch {
  terminalId: string;
  usuariaId: string;
  /** Her open expediente (status <> 'baja'); null only if the data is inconsistent. */
  expedienteCode: string | null;
  givenName: string;
  familyNames: string;
  riskLevel: RiskLevel | null;
  /** YYYY-MM-DD */
  riskAssessedOn: string | null;
  municipality: string;
  provinceCode: string;
  /** From her agenda policy, when she has one. */
  zone: Zone | null;
}

interface TerminalMatchRow {
  terminal_id: string;
  usuaria_id: string;
  expediente_code: string | null;
  given_name: string;
  family_names: string;
  risk_level: RiskLevel | null;
  risk_assessed_on: string | null;
  municipality: string;
  province_code: string;
  zone: Zone | null;
}

const toTerminalMatch = (r: TerminalMatchRow): TerminalMatch => ({
  terminalId: r.terminal_id, usuariaId: r.usuaria_id, expedienteCode: r.expediente_code,
  givenName: r.given_name, familyNames: r.family_names, riskLevel: r.risk_level,
  riskAssessedOn: r.risk_assessed_on, municipality: r.municipality, provinceCode: r.province_code, zone: r.zone,
});

const sql = {
  // One round trip on the partial unique index terminals_active_msisdn; every join is by
  // usuaria_id on a primary key or index. A terminal not assigned to anybody identifies nobody,
  // so it comes back as no match and the caller is popped as unknown.
  findActiveByMsisdn: `
    select t.id as terminal_id, t.usuaria_id, e.code as expediente_code,
           u.given_name, u.family_names, r.level as risk_level, r.assessed_on as risk_assessed_on,
           u.municipality, u.province_code, a.zone
      from terminals t
      join usuarias u on u.id = t.usuaria_id
      left join expedientes e on e.usuaria_id = t.usuaria_id and e.status <> 'baja'
      left join lateral (
        select ra.level, ra.assessed_on from risk_assessments ra
         where ra.usuaria_id = t.usuaria_id
         order by ra.assessed_on desc, ra.created_at desc
         limit 1) r on true
      left join agenda_policies a on a.usuaria_id = t.usuaria_id
     where t.msisdn = $1 and t.status = 'active'`,
};

export function terminalsRepo(db: Queryable) {
  return {
    /** The active terminal with this MSISDN (E.164), with the few columns a screen-pop needs first. */
    async findActiveByMsisdn(e164: string): Promise<TerminalMatch | null> {
      const { rows } = await db.query<TerminalMatchRow>({
        name: 'terminals.by_msisdn', text: sql.findActiveByMsisdn, values: [e164],
      });
      return rows[0] ? toTerminalMatch(rows[0]) : null;
    },
  };
}
